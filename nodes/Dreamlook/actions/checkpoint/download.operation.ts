import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { type DreamlookJob, type JobTypeKey, jobTypeOfId, LIST_PAGE_SIZE_MAX } from '../../api/contract';
import { type CheckpointChoice, checkpointJson, DEFAULT_MAX_CHECKPOINT_MB, downloadCheckpoints, selectCheckpoints } from '../../shared/checkpoints';
import { mapWithConcurrency } from '../../shared/concurrency';
import { type ItemOutcome, toNodeOutput } from '../../shared/itemResults';
import { simplifyJob } from '../../shared/output';
import { isToolMode } from '../../shared/toolMode';
import { InputChecker, positiveOr } from '../../shared/validate';
import { getJob, jobTypeOfJob, listJobsPage } from '../../transport/jobs';

const show = { resource: ['checkpoint'], operation: ['download'] };
/** Checkpoints are GBs: few at a time. */
const CONCURRENCY = 2;
const DEFAULT_TIME_LIMIT_SECONDS = 1800;
const TRAINING_TYPES: JobTypeKey[] = ['dreambooth', 'dreamboothImageGen'];
/** Checkpoint ID without a job ID: list pages read per training job type (100 jobs each). */
const LOOKUP_PAGES = 10;

export const description: INodeProperties[] = [
	{
		displayName: 'Training Job ID',
		name: 'jobId',
		type: 'string',
		default: '',
		placeholder: 'db_abc12345',
		description:
			'The job_id of a finished Training → Create (db_…) or Train and Generate (dbig_…) job. Empty: the job is looked up by Checkpoint ID in the job list (its newest 1000 training jobs of each kind).',
		displayOptions: { show },
	},
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
		displayOptions: { show },
	},
	{
		displayName: 'Checkpoint ID',
		name: 'checkpointId',
		type: 'string',
		default: '',
		placeholder: 'ckp_abc12345',
		description: 'Only this checkpoint of the job; empty for the ones chosen above. Required when Training Job ID is empty.',
		displayOptions: { show },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'Binary Property Prefix',
				name: 'binaryPrefix',
				type: 'string',
				default: 'checkpoint',
				description: 'Checkpoints are attached as prefix_0, prefix_1, … (checkpoint_0 with the default)',
			},
			{
				displayName: 'Download Time Limit (Seconds)',
				name: 'downloadTimeout',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: DEFAULT_TIME_LIMIT_SECONDS,
				description: 'How long all of this node\'s checkpoint downloads together may take, counted from the start of the node; a checkpoint still downloading then fails its item',
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

/**
 * The training job that lists `checkpointId`, from the job list (newest first, up to LOOKUP_PAGES
 * pages per training job type). Entries without checkpoints in the list are fetched one by one.
 */
async function findJobOfCheckpoint(ctx: IExecuteFunctions, checkpointId: string, itemIndex: number, deadline: number): Promise<DreamlookJob> {
	const lists = (job: DreamlookJob) => (job.dreambooth_result?.checkpoints ?? []).some((checkpoint) => checkpoint.checkpoint_id === checkpointId);
	for (const jobType of TRAINING_TYPES) {
		for (let page = 0, offset = 0; page < LOOKUP_PAGES; page++) {
			const result = await listJobsPage(ctx, { jobType, state: 'success', limit: LIST_PAGE_SIZE_MAX, offset, deadline });
			for (const listed of result.jobs) {
				if (listed.state !== 'success' || (jobTypeOfJob(listed) ?? jobType) !== jobType) continue;
				if (lists(listed)) return listed;
				// A list that leaves out results: ask the job itself.
				if (!listed.dreambooth_result) {
					const job = await getJob(ctx, jobType, listed.job_id, itemIndex, { deadline });
					if (lists(job)) return job;
				}
			}
			offset += result.received;
			if (result.received < LIST_PAGE_SIZE_MAX || (result.total !== undefined && offset >= result.total)) break;
		}
	}
	throw new NodeOperationError(ctx.getNode(), `No finished training job lists checkpoint ${checkpointId}`, {
		itemIndex,
		description: `Searched the newest ${LOOKUP_PAGES * LIST_PAGE_SIZE_MAX} finished jobs of each training type. Enter the Training Job ID, or check the ID; Dreamlook deletes checkpoints 48 hours after training unless your plan keeps them.`,
	});
}

async function downloadOne(ctx: IExecuteFunctions, itemIndex: number, startedAt: number): Promise<ItemOutcome> {
	const check = new InputChecker(ctx.getNode(), itemIndex);
	const rawJobId = String(ctx.getNodeParameter('jobId', itemIndex, '') ?? '').trim();
	const choice = ctx.getNodeParameter('checkpoints', itemIndex, 'all') as CheckpointChoice;
	const checkpointId = String(ctx.getNodeParameter('checkpointId', itemIndex, '') ?? '').trim();
	if (checkpointId && !/^[A-Za-z0-9_-]{3,128}$/.test(checkpointId)) check.fail('Checkpoint ID', `"${checkpointId.slice(0, 60)}" is not a checkpoint ID`, 'Checkpoint IDs look like ckp_abc12345.');
	if (!rawJobId && !checkpointId) check.fail('Training Job ID', 'is empty, and so is Checkpoint ID', 'Enter the training job\'s ID (db_…), or a Checkpoint ID to look its job up.');
	const jobId = rawJobId ? check.jobId(rawJobId) : undefined;
	const type = jobId ? (jobTypeOfId(jobId) ?? 'dreambooth') : undefined;
	if (jobId && type && !TRAINING_TYPES.includes(type)) {
		check.fail('Training Job ID', `${jobId} is not a training job`, 'Checkpoints come from Training → Create (db_…) or Train and Generate (dbig_…) jobs.');
	}
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const deadline = startedAt + positiveOr(options.downloadTimeout, DEFAULT_TIME_LIMIT_SECONDS) * 1000;
	const prefix = typeof options.binaryPrefix === 'string' && options.binaryPrefix.trim() ? options.binaryPrefix.trim() : 'checkpoint';

	const job = jobId && type ? await getJob(ctx, type, jobId, itemIndex, { deadline }) : await findJobOfCheckpoint(ctx, checkpointId, itemIndex, deadline);
	const jobType = jobTypeOfJob(job) ?? type ?? 'dreambooth';
	const selected = selectCheckpoints(job, choice, checkpointId || undefined);
	// As an AI agent's tool: no file can reach the agent, so it gets the links and when they expire.
	if (isToolMode(ctx)) return { json: { ...simplifyJob(job), checkpoints: checkpointJson(job, selected) } };
	const binary = await downloadCheckpoints(ctx, job, {
		type: jobType,
		itemIndex,
		choice,
		checkpointId: checkpointId || undefined,
		prefix,
		deadline,
		maxBytes: Math.round(positiveOr(options.maxCheckpointSizeMb, DEFAULT_MAX_CHECKPOINT_MB) * 1024 * 1024),
		sizeOption: 'Max Checkpoint Size (MB)',
	});
	return { json: { ...simplifyJob(job), checkpoints: checkpointJson(job, selected, prefix) }, binary };
}

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	const startedAt = Date.now();
	const results = await mapWithConcurrency(items.length, CONCURRENCY, async (itemIndex) => await downloadOne(this, itemIndex, startedAt));
	return toNodeOutput(
		this,
		results.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as Error))),
	);
}
