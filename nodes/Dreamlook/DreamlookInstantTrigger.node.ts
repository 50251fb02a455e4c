import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes } from 'n8n-workflow';

import { type DreamlookJob, JOB_TYPE_KEYS, type JobTypeKey, jobTypeOfId } from './api/contract';
import { getJob } from './transport/jobs';
import type { CursorFilter, TriggerEvent } from './trigger/cursor';
import { matchesFilter } from './trigger/filter';
import { ALL_JOB_TYPES, triggerJobFields } from './trigger/fields';
import { jobsToItems } from './trigger/items';
import { recordEmitted, wasEmitted } from './trigger/emittedJobs';
import { callbackJobId, RecentJobs } from './trigger/recentJobs';

const ALL = ALL_JOB_TYPES;
/** The verifying GET must fit in the time a caller waits for an answer. */
const VERIFY_TIMEOUT_MS = 20_000;
/** Image downloads happen after the caller got its answer, bounded all the same. */
const DOWNLOAD_TIMEOUT_MS = 120_000;

/** Per trigger node (workflow id + node id): the jobs it emitted recently. */
const memories = new Map<string, RecentJobs>();

function memoryOf(key: string): RecentJobs {
	let memory = memories.get(key);
	if (!memory) {
		memory = new RecentJobs();
		memories.set(key, memory);
	}
	return memory;
}

/** Answers the caller now, so Dreamlook is not kept waiting while images download. */
function answer(ctx: IWebhookFunctions, status: number, body: IDataObject): void {
	const res = ctx.getResponseObject();
	if (!res.headersSent) res.status(status).json(body);
}

export class DreamlookInstantTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Dreamlook Instant Trigger',
		name: 'dreamlookInstantTrigger',
		icon: { light: 'file:../../icons/dreamlook.svg', dark: 'file:../../icons/dreamlook.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle:
			'={{$parameter["event"] === "failure" ? "Job failed" : $parameter["event"] === "anyTerminal" ? "Job finished" : "Job succeeded"}}',
		description: 'Starts the workflow the moment Dreamlook calls back about a finished job',
		defaults: { name: 'Dreamlook Instant Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'dreamlookApi', required: true }],
		webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'dreamlook' }],
		properties: [
			{
				displayName:
					'Put this trigger\'s Production URL (above) into the Callback URL of a Dreamlook → Create: Dreamlook calls it when the job ends, and the trigger starts the workflow at once with that job, once (a repeated call for the same job emits nothing). The URL is the secret — share it only with Dreamlook. The trigger never trusts the call: it re-reads the job with your API key, so a forged call can only name a real job of your account. It needs n8n reachable from the internet; otherwise use the polling Dreamlook Trigger.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			...triggerJobFields(),
		],
	};

	/**
	 * Dreamlook has no API to register a webhook: the URL travels with each job (its `callback`).
	 * So activation registers nothing, and deactivation has nothing to remove.
	 */
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const ref = callbackJobId(this.getBodyData());
		if ('error' in ref) {
			answer(this, 400, { error: ref.error });
			return { noWebhookResponse: true };
		}
		const { jobId } = ref;
		const event = this.getNodeParameter('event', 'success') as TriggerEvent;
		const jobTypeChoice = this.getNodeParameter('jobType', ALL) as string;
		const jobType = (JOB_TYPE_KEYS as string[]).includes(jobTypeChoice) ? (jobTypeChoice as JobTypeKey) : undefined;
		const filter: CursorFilter = { event, jobType };

		const memory = memoryOf(`${this.getWorkflow().id ?? ''}:${this.getNode().id}`);
		if (!memory.claim(jobId, Date.now())) {
			answer(this, 200, { received: true, emitted: false, reason: 'already emitted' });
			return { noWebhookResponse: true };
		}
		// emitted before this process started, or by another n8n process (saved by n8n with the workflow)
		const record = this.getWorkflowStaticData('node');
		if (wasEmitted(record, jobId, Date.now())) {
			memory.confirm(jobId, Date.now());
			answer(this, 200, { received: true, emitted: false, reason: 'already emitted' });
			return { noWebhookResponse: true };
		}

		let job: DreamlookJob;
		try {
			const type = jobTypeOfId(jobId) ?? jobType ?? 'imageGen';
			job = await getJob(this, type, jobId, undefined, { deadline: Date.now() + VERIFY_TIMEOUT_MS });
		} catch (error) {
			memory.release(jobId);
			const status = error instanceof NodeApiError ? Number(error.httpCode) : NaN;
			if (status === 404) {
				this.logger.warn(`Dreamlook Instant Trigger: a call named job ${jobId}, which this API key does not know; ignored`);
				answer(this, 200, { received: true, emitted: false, reason: 'unknown job' });
			} else {
				const message = error instanceof Error ? error.message : String(error);
				this.logger.warn(`Dreamlook Instant Trigger: could not read job ${jobId} to verify the call, so nothing was emitted: ${message}`);
				// Not a 2xx: a caller that retries tries again; the job itself is not lost (Job → Get).
				answer(this, 503, { error: 'Could not verify the job with Dreamlook; send the call again.' });
			}
			return { noWebhookResponse: true };
		}

		if (!matchesFilter(job, filter)) {
			memory.release(jobId);
			answer(this, 200, { received: true, emitted: false, reason: `job is ${job.state || 'in an unknown state'} or of another type` });
			return { noWebhookResponse: true };
		}
		memory.confirm(jobId, Date.now());
		answer(this, 200, { received: true, emitted: true });

		const items = await jobsToItems(this, [job], {
			simplify: this.getNodeParameter('simplify', true) as boolean,
			download: this.getNodeParameter('downloadImages', false) as boolean,
			downloadUntil: Date.now() + DOWNLOAD_TIMEOUT_MS,
		});
		// last, right before n8n saves the static data: every job this process emitted, so that a
		// concurrent call's save (n8n saves it whole) does not drop this one's entry
		recordEmitted(record, memory.emitted(Date.now()), Date.now());
		return { noWebhookResponse: true, workflowData: [items] };
	}
}
