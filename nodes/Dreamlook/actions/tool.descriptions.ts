/**
 * What an AI agent reads about each operation when the node runs as a tool (`dreamlookTool`, which
 * n8n generates from `usableAsTool`). Shown only in the tool variant (`@tool`); because the node
 * declares `toolDescription`, n8n uses these instead of its generic "<action> in Dreamlook" and the
 * user can still edit them. They say what the call does, whether it costs tokens, whether and how
 * long it waits, and what JSON comes back (a tool never returns binary data).
 */
import type { INodeProperties } from 'n8n-workflow';

const RETURNS_JOB =
	'Returns JSON: job_id, state (queued, running, success, failure), image_urls (signed links; image_urls_expire_at says when they expire, about one hour after signing), seeds, checkpoint_ids, and failure_message for a failed job.';

const TOOL_DESCRIPTIONS: Array<{ resource: string; operation: string; text: string }> = [
	{
		resource: 'image',
		operation: 'create',
		text:
			'Generates images from a text prompt with Stable Diffusion on dreamlook.ai. COSTS MONEY: every call starts a paid job that spends tokens from the Dreamlook account (more images, larger sizes and more steps cost more). ' +
			'With Wait for Completion on (the default) the call waits until the images are ready, at most the node\'s Timeout (600 seconds unless changed); otherwise it returns the job_id at once. ' +
			`${RETURNS_JOB} Call it once per picture request; to check on a job later, use Get Job, never this again.`,
	},
	{
		resource: 'training',
		operation: 'create',
		text:
			'Starts DreamBooth training of a custom model on dreamlook.ai from public photo URLs. COSTS MONEY: every call starts a paid job that spends tokens from the Dreamlook account. ' +
			'Training takes 10–30 minutes: by default the call does not wait and returns the job_id at once (with Wait for Completion on it waits up to the Timeout, 3600 seconds unless changed). ' +
			`${RETURNS_JOB} When state is success, checkpoint_ids name the trained model for image generation. Check progress with Get Job.`,
	},
	{
		resource: 'training',
		operation: 'trainAndGenerate',
		text:
			'Trains a DreamBooth model on dreamlook.ai from public photo URLs, then generates images from the given prompts with it, as one job. COSTS MONEY: every call starts a paid job that spends tokens from the Dreamlook account. ' +
			'It takes 10–30 minutes: by default the call does not wait and returns the job_id at once (with Wait for Completion on it waits up to the Timeout, 3600 seconds unless changed). ' +
			`${RETURNS_JOB} Check progress with Get Job.`,
	},
	{
		resource: 'checkpoint',
		operation: 'download',
		text:
			'Gives the download links of the trained model (and LoRA) of a finished Dreamlook training job, by its job_id (db_… or dbig_…). Free: it only reads and returns at once, without waiting. ' +
			'As a tool it downloads nothing: it returns JSON with the job\'s state and checkpoints (checkpoint_id, is_extracted_lora, url, url_expires_at).',
	},
	{
		resource: 'job',
		operation: 'get',
		text: `Looks up one Dreamlook job by its job_id (ig_…, db_… or dbig_…). Free: it only reads and returns at once, without waiting. ${RETURNS_JOB}`,
	},
	{
		resource: 'job',
		operation: 'getMany',
		text: `Lists Dreamlook jobs, newest first, optionally only one job type or state. Free: it only reads and returns at once, without waiting. ${RETURNS_JOB.replace('Returns JSON:', 'Returns one JSON object per job:')}`,
	},
];

export const toolDescriptionProperties: INodeProperties[] = TOOL_DESCRIPTIONS.map(({ resource, operation, text }) => ({
	displayName: 'Description',
	name: 'toolDescription',
	type: 'string',
	typeOptions: { rows: 6 },
	default: text,
	description: 'What the AI agent reads about this tool: what it does, what it costs, whether it waits',
	displayOptions: { show: { '@tool': [true], resource: [resource], operation: [operation] } },
}));
