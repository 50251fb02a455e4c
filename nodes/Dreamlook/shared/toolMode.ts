/**
 * The Dreamlook node run by an AI agent as a tool. n8n generates `dreamlookTool` from `usableAsTool`
 * (the type name gets a `Tool` suffix, n8n's own test for a tool node: NodeHelpers.isToolType /
 * the `@tool` display option) and runs the node's own execute() with the agent's arguments as the
 * input item. Its result reaches the model as JSON text, binary data cannot cross that boundary.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { type DreamlookJob, signedUrlExpiresAt } from '../api/contract';
import { imagesOf, simplifyJob } from './output';

/** Whether this run is the tool variant of the node (called by an AI agent). */
export function isToolMode(ctx: Pick<IExecuteFunctions, 'getNode'>): boolean {
	return ctx.getNode().type.endsWith('Tool');
}

/**
 * What a tool call returns for a job: the simplified job (id, type, state, image URLs, seeds,
 * checkpoint IDs, durations, failure text) and, when the signed links say, when they expire.
 */
export function toolJson(job: DreamlookJob): IDataObject {
	const json = simplifyJob(job);
	const expiries = imagesOf(job)
		.map((image) => signedUrlExpiresAt(image.url))
		.filter((at): at is number => at !== undefined);
	if (expiries.length > 0) json.image_urls_expire_at = new Date(Math.min(...expiries)).toISOString();
	return json;
}
