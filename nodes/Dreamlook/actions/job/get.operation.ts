import type { IBinaryKeyData, IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { isFinishedState, type JobTypeKey } from '../../api/contract';
import { downloadImages } from '../../shared/binary';
import { type CheckpointChoice, checkpointJson, DEFAULT_MAX_CHECKPOINT_MB, downloadCheckpoints, selectCheckpoints } from '../../shared/checkpoints';
import { mapWithConcurrency } from '../../shared/concurrency';
import { type ItemOutcome, toNodeOutput } from '../../shared/itemResults';
import { jobToJson } from '../../shared/output';
import { isToolMode, toolJson } from '../../shared/toolMode';
import { InputChecker, positiveOr } from '../../shared/validate';
import { waitForJobs } from '../../shared/waitForJobs';
import { getJob } from '../../transport/jobs';
import { simplifyField, waitForCompletionField } from '../common.descriptions';
import { FROM_JOB_ID, jobTypeOptions, resolveJobType } from './jobType';

const show = { resource: ['job'], operation: ['get'] };
const CONCURRENCY = 10;
const DEFAULT_DOWNLOAD_SECONDS = 300;
const DEFAULT_CHECKPOINT_SECONDS = 1800;
const DEFAULT_WAIT_INTERVAL_SECONDS = 10;
const DEFAULT_WAIT_TIMEOUT_SECONDS = 3600;
const TRAINING_TYPES: JobTypeKey[] = ['dreambooth', 'dreamboothImageGen'];

export const description: INodeProperties[] = [
	{
		displayName: 'Job ID',
		name: 'jobId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'ig_abc12345',
		description: 'The job_id returned by a Create operation or the trigger',
		displayOptions: { show },
	},
	{
		displayName: 'Job Type',
		name: 'jobType',
		type: 'options',
		options: jobTypeOptions([{ name: 'From Job ID', value: FROM_JOB_ID }]),
		default: 'fromJobId',
		description: 'From Job ID reads the type from the ID prefix (ig_, db_, dbig_)',
		displayOptions: { show },
	},
	{
		...waitForCompletionField(show, 'it then (a job created elsewhere, or after n8n\'s Wait node resumed early)'),
		description:
			'Whether to wait, when the job has not finished yet, until it has (checking every Poll Interval, up to the Timeout). Off: return the job as it is now. May differ per item.',
	},
	{
		displayName: 'Wait Options',
		name: 'waitOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: { ...show, waitForCompletion: [true] } },
		options: [
			{
				displayName: 'Poll Interval (Seconds)',
				name: 'pollInterval',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: DEFAULT_WAIT_INTERVAL_SECONDS,
				description: 'How often to check the job while it runs',
			},
			{
				displayName: 'Timeout (Seconds)',
				name: 'timeout',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: DEFAULT_WAIT_TIMEOUT_SECONDS,
				description: 'How long to wait at most; a job still running then fails its item (the job itself goes on)',
			},
		],
	},
	simplifyField(show),
	{
		displayName: 'Download Images',
		name: 'downloadImages',
		type: 'boolean',
		default: false,
		description: 'Whether to attach the images of a finished job as binary data (data_0, data_1, …)',
		displayOptions: { show },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: { ...show, downloadImages: [true] } },
		options: [
			{
				displayName: 'Download Time Limit (Seconds)',
				name: 'downloadTimeout',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: DEFAULT_DOWNLOAD_SECONDS,
				description: 'How long all of this node\'s image downloads together may take; an image still downloading then fails its item',
			},
			{
				displayName: 'Max Image Size (MB)',
				name: 'maxImageSizeMb',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 50,
				description: 'Largest image accepted; a bigger one fails its item instead of filling the disk',
			},
		],
	},
	{
		displayName: 'Download Checkpoints',
		name: 'downloadCheckpoints',
		type: 'boolean',
		default: false,
		description:
			'Whether to attach the checkpoints of a finished training job (db_…, dbig_…) as binary data (checkpoint_0, checkpoint_1, …), streamed into n8n\'s binary store. Other jobs have none.',
		displayOptions: { show },
	},
	{
		displayName: 'Checkpoint Options',
		name: 'checkpointOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: { ...show, downloadCheckpoints: [true] } },
		options: [
			{
				displayName: 'Checkpoints',
				name: 'checkpoints',
				type: 'options',
				options: [
					{ name: 'All', value: 'all', description: 'The trained model and, if extracted, its LoRA' },
					{ name: 'Trained Model Only', value: 'model' },
					{ name: 'LoRA Only', value: 'lora', description: 'Exists when the training ran with Extract LoRA on' },
				],
				default: 'all',
			},
			{
				displayName: 'Download Time Limit (Seconds)',
				name: 'downloadTimeout',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: DEFAULT_CHECKPOINT_SECONDS,
				description: 'How long all of this node\'s checkpoint downloads together may take, counted from the start of the node',
			},
			{
				displayName: 'Max Checkpoint Size (MB)',
				name: 'maxCheckpointSizeMb',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: DEFAULT_MAX_CHECKPOINT_MB,
				description: 'Largest checkpoint accepted; a bigger one fails its item instead of filling the disk',
			},
		],
	},
];

interface DownloadSettings {
	deadline: number;
	maxBytes: number;
}

function downloadSettingsOf(ctx: IExecuteFunctions, itemIndex: number, startedAt: number): DownloadSettings {
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	return {
		// One deadline for all of the node's downloads, counted from the start of the node.
		deadline: startedAt + positiveOr(options.downloadTimeout, DEFAULT_DOWNLOAD_SECONDS) * 1000,
		maxBytes: Math.round(positiveOr(options.maxImageSizeMb, 50) * 1024 * 1024),
	};
}

async function getOne(ctx: IExecuteFunctions, itemIndex: number, nodeStartedAt: number): Promise<ItemOutcome> {
	let startedAt = nodeStartedAt;
	const check = new InputChecker(ctx.getNode(), itemIndex);
	const jobId = check.jobId(ctx.getNodeParameter('jobId', itemIndex));
	const choice = ctx.getNodeParameter('jobType', itemIndex) as string;
	const type = resolveJobType(choice, jobId);
	if (choice !== FROM_JOB_ID) check.jobId(jobId, type);
	let job = await getJob(ctx, type, jobId, itemIndex);
	// As an AI agent's tool: JSON only (image URLs and their expiry), never binary, and no waiting.
	if (isToolMode(ctx)) return { json: toolJson(job) };
	const wait = check.boolean('Wait for Completion', ctx.getNodeParameter('waitForCompletion', itemIndex, false), false);
	if (wait && !isFinishedState(job.state)) {
		const waitOptions = ctx.getNodeParameter('waitOptions', itemIndex, {}) as IDataObject;
		const outcome = (
			await waitForJobs(ctx, [{ itemIndex, type, jobId }], {
				timeoutMs: positiveOr(waitOptions.timeout, DEFAULT_WAIT_TIMEOUT_SECONDS) * 1000,
				intervalMs: positiveOr(waitOptions.pollInterval, DEFAULT_WAIT_INTERVAL_SECONDS) * 1000,
				concurrency: 1,
				batch: false,
			})
		).get(itemIndex);
		if (outcome === undefined || outcome instanceof Error) throw outcome ?? new Error(`No outcome for job ${jobId}`);
		job = outcome;
		// the download time limits count from the end of the wait
		startedAt = Date.now();
	}
	const json = jobToJson(job, check.boolean('Simplify', ctx.getNodeParameter('simplify', itemIndex, true), true));
	const wantsImages = check.boolean('Download Images', ctx.getNodeParameter('downloadImages', itemIndex, false));
	const wantsCheckpoints = check.boolean('Download Checkpoints', ctx.getNodeParameter('downloadCheckpoints', itemIndex, false));
	if (job.state !== 'success' || (!wantsImages && !wantsCheckpoints)) return { json };
	let binary: IBinaryKeyData = {};
	if (wantsImages) {
		const { deadline, maxBytes } = downloadSettingsOf(ctx, itemIndex, startedAt);
		binary = await downloadImages(ctx, job, { prefix: 'data', type, itemIndex, deadline, maxBytes });
	}
	if (wantsCheckpoints && TRAINING_TYPES.includes(type)) {
		const options = ctx.getNodeParameter('checkpointOptions', itemIndex, {}) as IDataObject;
		const choice = (['all', 'model', 'lora'].includes(String(options.checkpoints)) ? options.checkpoints : 'all') as CheckpointChoice;
		const checkpoints = await downloadCheckpoints(ctx, job, {
			type,
			itemIndex,
			choice,
			prefix: 'checkpoint',
			deadline: startedAt + positiveOr(options.downloadTimeout, DEFAULT_CHECKPOINT_SECONDS) * 1000,
			maxBytes: Math.round(positiveOr(options.maxCheckpointSizeMb, DEFAULT_MAX_CHECKPOINT_MB) * 1024 * 1024),
			sizeOption: 'Max Checkpoint Size (MB)',
		});
		binary = { ...binary, ...checkpoints };
		json.checkpoints = checkpointJson(job, selectCheckpoints(job, choice), 'checkpoint');
	}
	return Object.keys(binary).length > 0 ? { json, binary } : { json };
}

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	const startedAt = Date.now();
	const results = await mapWithConcurrency(items.length, CONCURRENCY, async (itemIndex) => await getOne(this, itemIndex, startedAt));
	return toNodeOutput(
		this,
		results.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as Error))),
	);
}
