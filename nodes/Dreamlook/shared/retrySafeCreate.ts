import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { DRY_RUN_ID_PREFIX, isFinishedState, IDEMPOTENCY_TAG_KEY, jobNoun, type JobTypeKey, REQUEST_TAG_KEY } from '../api/contract';
import { isOutcomeUnknownError } from '../transport/errors';
import { createJob, findJobByTag } from '../transport/jobs';
import { bodyHashOf, type CreateIdentity, type CreateLedger, idempotencyTagOf, processLedger, requestTagOf } from './createLedger';

export interface CreateOutcome {
	jobId: string;
	/** The job was created by an earlier try of this node in this execution (or found by its tag). */
	reused: boolean;
	dryRun: boolean;
	/** The create response as answered (empty when reused). */
	response: IDataObject;
}

/** The execution, workflow and node this create belongs to, for the ledger and the tag. */
export function identityOf(ctx: IExecuteFunctions, itemIndex: number, body: IDataObject): CreateIdentity {
	return {
		executionId: String(ctx.getExecutionId?.() ?? ''),
		workflowId: String(ctx.getWorkflow().id ?? ''),
		nodeId: ctx.getNode().id ?? ctx.getNode().name,
		itemIndex,
		bodyHash: bodyHashOf(body),
	};
}

function stillUnknownError(ctx: IExecuteFunctions, type: JobTypeKey, itemIndex: number, tag: string): NodeApiError {
	return new NodeApiError(
		ctx.getNode(),
		{ method: 'POST', idempotencyTag: tag },
		{
			message: `An earlier try of this node sent item ${itemIndex + 1}'s request to create ${jobNoun(type, true)} without a clear answer: the job may have been created`,
			description:
				'The request is not sent again, since a second attempt could start a second paid job, and the job could not be found ' +
				`in Dreamlook's job list by its tag (${IDEMPOTENCY_TAG_KEY} = ${tag}). Check Job → Get Many or the dreamlook.ai dashboard ` +
				'before running this item again.',
			itemIndex,
		},
	);
}

/**
 * Creates one item's job at most once per execution, whatever n8n's Retry On Fail does:
 * 1. the ledger knows the job → reuse it, no request;
 * 2. the ledger knows an earlier create had no clear answer → look the job up by its tag; found →
 *    reuse, else fail with "may exist" (never POST again);
 * 3. in an execution that n8n runs as a retry of a failed one (mode "retry": n8n does not say
 *    which), the newest job of the same workflow, node, item and body that has not ended
 *    unsuccessfully is reused;
 * 4. otherwise POST with the idempotency tags; an answer without a clear outcome is looked up by
 *    the tag at once, and remembered as unknown when not found.
 * Dry runs cost nothing and are never stored, so they are simply sent.
 */
export async function createOnce(
	ctx: IExecuteFunctions,
	type: JobTypeKey,
	body: IDataObject,
	itemIndex: number,
	ledger: CreateLedger = processLedger,
): Promise<CreateOutcome> {
	if (body.dry_run === true) {
		const { jobId, response } = await createJob(ctx, type, body, itemIndex);
		return { jobId, reused: false, dryRun: true, response };
	}
	const identity = identityOf(ctx, itemIndex, body);
	const tag = idempotencyTagOf(identity);
	const known = ledger.get(identity);
	if (known?.kind === 'created') {
		ctx.logger.info(`Dreamlook: item ${itemIndex + 1} reuses job ${known.jobId} created by an earlier try of this node`);
		return { jobId: known.jobId, reused: true, dryRun: false, response: {} };
	}
	if (known?.kind === 'unknown') {
		const found = await findJobByTag(ctx, type, known.tag);
		if (!found) throw stillUnknownError(ctx, type, itemIndex, known.tag);
		ledger.set(identity, { kind: 'created', jobId: found.job_id });
		ctx.logger.info(`Dreamlook: item ${itemIndex + 1} found job ${found.job_id} by its tag after an unclear create; reusing it`);
		return { jobId: found.job_id, reused: true, dryRun: false, response: {} };
	}

	const requestTag = requestTagOf(identity);
	if (ctx.getMode() === 'retry') {
		const earlier = await findJobByTag(ctx, type, requestTag, { key: REQUEST_TAG_KEY });
		if (earlier && (earlier.state === 'success' || !isFinishedState(earlier.state))) {
			ledger.set(identity, { kind: 'created', jobId: earlier.job_id });
			ctx.logger.info(`Dreamlook: item ${itemIndex + 1} reuses job ${earlier.job_id} of the execution n8n is retrying`);
			return { jobId: earlier.job_id, reused: true, dryRun: false, response: {} };
		}
	}

	const tagged: IDataObject = {
		...body,
		tags: [...((body.tags as IDataObject[]) ?? []), { key: IDEMPOTENCY_TAG_KEY, value: tag }, { key: REQUEST_TAG_KEY, value: requestTag }],
	};
	let failure: unknown;
	try {
		const { jobId, response } = await createJob(ctx, type, tagged, itemIndex);
		ledger.set(identity, { kind: 'created', jobId });
		return { jobId, reused: false, dryRun: jobId.startsWith(DRY_RUN_ID_PREFIX), response };
	} catch (error) {
		failure = error;
	}
	// A known rejection (4xx, never sent) created nothing: the item fails and may be sent again.
	if (!isOutcomeUnknownError(failure)) throw failure;
	ledger.set(identity, { kind: 'unknown', tag });
	const found = await findJobByTag(ctx, type, tag);
	if (!found) throw failure;
	ledger.set(identity, { kind: 'created', jobId: found.job_id });
	ctx.logger.warn(`Dreamlook: the create of item ${itemIndex + 1} had no clear answer, but job ${found.job_id} carries its tag; using it`);
	return { jobId: found.job_id, reused: true, dryRun: false, response: {} };
}
