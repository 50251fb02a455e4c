import type { IBinaryKeyData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

/** What one input item produced: output data, or the error that stopped it. */
export type ItemOutcome = { json: IDataObject; binary?: IBinaryKeyData } | Error;

/**
 * Turns per-item outcomes into the node's output. With "Continue On Fail" a failed item becomes
 * an error item in place; otherwise the first failure stops the node, and its description lists
 * the jobs other items already created, so nothing paid for is lost from sight.
 */
export function toNodeOutput(
	ctx: IExecuteFunctions,
	outcomes: ItemOutcome[],
	createdJobIds: string[] = [],
): INodeExecutionData[] {
	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < outcomes.length; itemIndex++) {
		const outcome = outcomes[itemIndex];
		if (!(outcome instanceof Error)) {
			const hasBinary = outcome.binary !== undefined && Object.keys(outcome.binary).length > 0;
			output.push({ json: outcome.json, ...(hasBinary ? { binary: outcome.binary } : {}), pairedItem: { item: itemIndex } });
			continue;
		}
		if (ctx.continueOnFail()) {
			const description = (outcome as { description?: string | null }).description;
			output.push({
				json: { error: outcome.message, ...(description ? { description } : {}) },
				pairedItem: { item: itemIndex },
			});
			continue;
		}
		if (createdJobIds.length > 0) {
			const note = ` Jobs already created by this run: ${createdJobIds.join(', ')}.`;
			const withDescription = outcome as { description?: string | null };
			withDescription.description = `${withDescription.description ?? ''}${note}`.trim();
		}
		throw outcome;
	}
	return output;
}
