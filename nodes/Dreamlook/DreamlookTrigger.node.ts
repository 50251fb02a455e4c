import type {
	IDataObject,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IPollFunctions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { type DreamlookJob, JOB_TYPE_KEYS, type JobTypeKey, LIST_PAGE_SIZE_MAX, timestampMicros } from './api/contract';
import { getJob, listJobsPage } from './transport/jobs';
import { triggerClock } from './trigger/clock';
import { type CursorFilter, CursorError, describeFilter, matchesFilter, readCursorState, type TriggerEvent } from './trigger/cursor';
import { ALL_JOB_TYPES, triggerJobFields } from './trigger/fields';
import { jobsToItems } from './trigger/items';
import { pollErrorText, sentence, sentences } from './trigger/messages';
import { commitDeadline, type FetchJob, type FetchPage, runPollLoop } from './trigger/poll';
import { DEFAULT_LOOKBACK_MINUTES } from './trigger/state';

const ALL = ALL_JOB_TYPES;
/** Attempts per list request inside one poll; the next poll is the next retry. */
const POLL_MAX_ATTEMPTS = 2;
/** "Fetch Test Event" looks at this many pages at most. */
const TEST_EVENT_MAX_PAGES = 5;
const TEST_EVENT_PAGE_SIZE = 50;
const RETRY_HINT =
	'The trigger tries again at the next poll and resumes where it stopped: no job is skipped or emitted twice because of this error.';

/** Polls of one trigger never overlap: a slow poll makes the next tick return nothing. */
const pollsInFlight = new Set<string>();

function filterOf(ctx: IPollFunctions): CursorFilter {
	const event = ctx.getNodeParameter('event', 'success') as TriggerEvent;
	const jobTypeChoice = ctx.getNodeParameter('jobType', ALL) as string;
	const jobType = (JOB_TYPE_KEYS as string[]).includes(jobTypeChoice) ? (jobTypeChoice as JobTypeKey) : undefined;
	return { event, jobType };
}

/** A deadline for the transport (on Date.now()) from one on the trigger's clock. */
function transportDeadline(untilMs: number | undefined): number | undefined {
	return untilMs === undefined ? undefined : Date.now() + Math.max(0, untilMs - triggerClock.now());
}

function listFetcher(ctx: IPollFunctions, filter: CursorFilter, serverState?: string): FetchPage<DreamlookJob> {
	return async (offset, limit, untilMs) => {
		const deadline = transportDeadline(untilMs);
		// No state filter: the trigger must see unfinished jobs too (see trigger/scan.ts).
		const page = await listJobsPage(ctx, {
			jobType: filter.jobType,
			state: serverState,
			limit,
			offset,
			newestUpdatedFirst: true,
			maxAttempts: POLL_MAX_ATTEMPTS,
			...(deadline !== undefined ? { deadline } : {}),
		});
		return { jobs: page.jobs, received: page.received, total: page.total };
	};
}

function jobFetcher(ctx: IPollFunctions, filter: CursorFilter): FetchJob<DreamlookJob> {
	return async (ref, untilMs) => {
		const deadline = transportDeadline(untilMs);
		try {
			return await getJob(ctx, ref.type ?? filter.jobType ?? 'imageGen', ref.id, undefined, deadline !== undefined ? { deadline } : {});
		} catch (error) {
			if (!(error instanceof NodeApiError)) throw new NodeOperationError(ctx.getNode(), error instanceof Error ? error : String(error));
			if (Number(error.httpCode) === 404) return 'gone';
			throw new NodeApiError(ctx.getNode(), error as unknown as JsonObject, {
				message: error.message,
				description: error.description ?? undefined,
				httpCode: error.httpCode ?? undefined,
			});
		}
	};
}

/** The error to fail the poll with: what failed, in clean sentences, with the trigger's hint. */
function pollError(ctx: IPollFunctions, error: unknown): Error {
	if (error instanceof NodeApiError) {
		const status = Number(error.httpCode);
		const transient = !(status === 401 || status === 403 || status === 404 || status === 422);
		const text = pollErrorText(error.message, error.description, transient ? RETRY_HINT : undefined);
		error.message = text.message;
		error.description = text.description;
		return new NodeApiError(ctx.getNode(), error as unknown as JsonObject, { message: text.message, description: text.description, httpCode: error.httpCode ?? undefined });
	}
	if (error instanceof CursorError) {
		return new NodeOperationError(ctx.getNode(), sentence(error.message), {
			description: sentence(`The trigger's state did not move, so nothing was skipped. ${RETRY_HINT}`),
		});
	}
	// Not an answer from Dreamlook: something failed inside n8n or this node.
	const detail = error instanceof Error ? error.message : String(error);
	return new NodeOperationError(ctx.getNode(), 'The Dreamlook Trigger failed inside n8n before Dreamlook answered', {
		description: sentences(`This is not a network or Base URL problem: ${detail}`, RETRY_HINT),
	});
}

async function toItems(
	ctx: IPollFunctions,
	jobs: DreamlookJob[],
	settings: { simplify: boolean; download: boolean; downloadUntil: number },
): Promise<INodeExecutionData[]> {
	return await jobsToItems(ctx, jobs, { ...settings, skippedHint: 'Skipped: this poll ran out of time. Use Dreamlook → Job → Get with Download Images.' });
}

/** Which operation makes a job of the filter's type. */
function createSuggestion(filter: CursorFilter): string {
	if (filter.jobType === 'dreambooth') return 'Training → Create';
	if (filter.jobType === 'dreamboothImageGen') return 'Training → Train and Generate';
	return 'Image → Create with a short prompt';
}

/** "Fetch Test Event": the most recent matching job; the cursor is neither read nor written. */
async function fetchTestEvent(
	ctx: IPollFunctions,
	filter: CursorFilter,
	settings: { simplify: boolean; download: boolean },
): Promise<INodeExecutionData[][]> {
	const fetchPage = listFetcher(ctx, filter, filter.event === 'anyTerminal' ? undefined : filter.event);
	let newest: { ts: number; job: DreamlookJob } | undefined;
	let offset = 0;
	for (let page = 0; page < TEST_EVENT_MAX_PAGES && !newest; page++) {
		const result = await fetchPage(offset, TEST_EVENT_PAGE_SIZE);
		for (const job of result.jobs) {
			if (!matchesFilter(job, filter)) continue;
			const ts = timestampMicros(job.state_updated);
			const key = Number.isNaN(ts) ? Number.NEGATIVE_INFINITY : ts;
			if (!newest || key > newest.ts) newest = { ts: key, job };
		}
		if (result.received < TEST_EVENT_PAGE_SIZE) break;
		offset += result.received;
	}
	if (!newest) {
		const what = describeFilter(filter);
		throw new NodeOperationError(ctx.getNode(), `No ${what} found in this Dreamlook account yet`, {
			description:
				`To produce one, run the Dreamlook node (for example ${createSuggestion(filter)} with Wait for Completion on)` +
				`${filter.event === 'failure' ? ' and let the job fail' : ''}, then click “Fetch Test Event” again. ` +
				`Only the ${TEST_EVENT_MAX_PAGES * TEST_EVENT_PAGE_SIZE} most recently updated jobs are searched.`,
		});
	}
	return [await toItems(ctx, [newest.job], { ...settings, downloadUntil: Number.POSITIVE_INFINITY })];
}

export class DreamlookTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Dreamlook Trigger',
		name: 'dreamlookTrigger',
		icon: { light: 'file:../../icons/dreamlook.svg', dark: 'file:../../icons/dreamlook.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle:
			'={{$parameter["event"] === "failure" ? "Job failed" : $parameter["event"] === "anyTerminal" ? "Job finished" : "Job succeeded"}}',
		// n8n's node creator lists the Dreamlook node and this trigger as one app entry and shows the
		// trigger's description there (editor-ui useActionsGeneration: app.description = trigger.description),
		// so it is the app's description; the trigger's own role is its name and its "On job …" events.
		description: 'Generate images with Stable Diffusion and train DreamBooth models on dreamlook.ai',
		defaults: { name: 'Dreamlook Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'dreamlookApi', required: true }],
		properties: [
			{
				displayName:
					'Each poll emits the jobs that reached the chosen state since the last poll, once each, as the items of one execution (oldest first). Jobs that finished before the first activation are not emitted unless you set Options → Include Jobs Finished in the Last (Hours). Changing Event or Job Type starts a new baseline. If Dreamlook returns its job list in no usable order, nothing is missed, but each poll reads the whole list and n8n\'s log shows a warning.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			...triggerJobFields(),
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Include Jobs Finished in the Last (Hours)',
						name: 'lookbackHours',
						type: 'number',
						typeOptions: { minValue: 0, maxValue: 720 },
						default: 0,
						description:
							'On the first activation only: also emit the jobs that reached the state this many hours before activation. 0 emits only jobs that finish after activation.',
					},
					{
						displayName: 'Look-Back Window (Minutes)',
						name: 'lookbackMinutes',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: 1440 },
						default: DEFAULT_LOOKBACK_MINUTES,
						description:
							"Every poll re-reads the jobs that changed this long before the newest one it has seen, so a job that Dreamlook lists late or dates slightly in the past is still emitted (once). Longer tolerates more lag and costs more list reads on busy accounts.",
					},
				],
			},
		],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const filter = filterOf(this);
		const simplify = this.getNodeParameter('simplify', true) as boolean;
		const download = this.getNodeParameter('downloadImages', false) as boolean;
		if (this.getMode() === 'manual') return await fetchTestEvent(this, filter, { simplify, download });

		const lockKey = `${this.getWorkflow().id ?? ''}:${this.getNode().id}`;
		if (pollsInFlight.has(lockKey)) {
			this.logger.warn('Dreamlook Trigger: the previous poll is still running; this one is skipped');
			return null;
		}
		pollsInFlight.add(lockKey);
		try {
			return await pollForJobs(this, filter, { simplify, download });
		} finally {
			pollsInFlight.delete(lockKey);
		}
	}
}

async function pollForJobs(
	ctx: IPollFunctions,
	filter: CursorFilter,
	settings: { simplify: boolean; download: boolean },
): Promise<INodeExecutionData[][] | null> {
	const started = Date.now();
	const staticData = ctx.getWorkflowStaticData('node');
	const prior = readCursorState(staticData.cursor);
	const options = ctx.getNodeParameter('options', {}) as IDataObject;
	const lookbackHours = Number(options.lookbackHours ?? 0);
	const lookbackMinutes = Number(options.lookbackMinutes ?? DEFAULT_LOOKBACK_MINUTES);
	const budgetMs = typeof ctx.getPollBudgetMs === 'function' ? ctx.getPollBudgetMs() : undefined;

	const result = await runPollLoop(prior, filter, listFetcher(ctx, filter), {
		pageSize: LIST_PAGE_SIZE_MAX,
		now: triggerClock.now,
		lookbackMicros: (Number.isFinite(lookbackMinutes) && lookbackMinutes > 0 ? lookbackMinutes : DEFAULT_LOOKBACK_MINUTES) * 60e6,
		lookbackFromMicros: lookbackHours > 0 ? (triggerClock.now() - lookbackHours * 3600_000) * 1000 : undefined,
		budgetMs,
		fetchJob: jobFetcher(ctx, filter),
	});

	if (!result.inTime) {
		// n8n may already have given up on this poll: keep nothing, the next poll repeats it.
		ctx.logger.warn(`Dreamlook Trigger: poll took ${result.elapsedMs} ms, over its budget; its result is dropped`);
		return null;
	}
	const { stats } = result;
	if (stats.order === 'none') {
		ctx.logger.warn(
			`Dreamlook Trigger: the job list came back in no usable order (neither by update nor by creation time), so every poll reads the whole list (${stats.pages} page(s) this poll${result.complete ? '' : ', continued at the next poll'}). Polls return to reading only the newest jobs once the list is ordered again.`,
		);
	}
	if (stats.future > 0) {
		ctx.logger.warn(`Dreamlook Trigger: ${stats.future} job(s) are dated more than 2 minutes ahead of this n8n's clock; they are emitted once and do not move the trigger's window.`);
	}
	const undated = result.emit.filter((job) => Number.isNaN(timestampMicros(job.state_updated)));
	if (undated.length > 0) {
		ctx.logger.warn(`Dreamlook Trigger: ${undated.length} job(s) have no readable state_updated; each is emitted once, when first seen: ${undated.map((job) => job.job_id).join(', ')}`);
	}
	if (stats.openDropped > 0) {
		ctx.logger.warn(`Dreamlook Trigger: more than the remembered maximum of unfinished jobs; ${stats.openDropped} of the oldest are no longer re-checked.`);
	}
	if (result.lookupError) {
		ctx.logger.warn(`Dreamlook Trigger: looking up an unfinished job failed; it is looked up again at the next poll: ${(result.lookupError as Error).message ?? String(result.lookupError)}`);
	}
	const commit = () => {
		if (result.changed && result.state) staticData.cursor = result.state as unknown as IDataObject;
	};
	if (result.error) {
		if (result.emit.length === 0) {
			// Pages read before the failure held nothing to emit: keep the progress, report the error.
			commit();
			throw pollError(ctx, result.error);
		}
		ctx.logger.warn(
			`Dreamlook Trigger: listing jobs failed after ${stats.pages} page(s); emitting the ${result.emit.length} job(s) read so far, the rest follows at the next poll: ${
				result.error instanceof Error ? result.error.message : String(result.error)
			}`,
		);
	} else if (result.stoppedBy) {
		ctx.logger.info(`Dreamlook Trigger: stopped after ${stats.pages} page(s) (${result.stoppedBy}); the next poll continues from there`);
	}

	const downloadUntil = budgetMs === undefined ? Number.POSITIVE_INFINITY : started + commitDeadline(budgetMs) * 0.9;
	const items = await toItems(ctx, result.emit, { ...settings, downloadUntil });
	commit();
	return items.length > 0 ? [items] : null;
}
