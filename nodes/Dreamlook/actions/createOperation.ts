import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { JobTypeKey } from '../api/contract';
import { runCreateFlow } from '../shared/createFlow';
import { readCreateOptions } from './common.descriptions';

/** What distinguishes one create operation from another; the rest is the shared create flow. */
export interface CreateOperationSpec {
	type: JobTypeKey;
	/** Builds and checks one item's request body; throws before anything is sent. */
	buildBody: (ctx: IExecuteFunctions, itemIndex: number) => object;
	waitByDefault: boolean;
	/** Whether the job produces images (and so offers Download Images). */
	producesImages: boolean;
	timeoutSeconds: number;
	intervalSeconds: number;
}

/** Reads the shared create fields (wait, download, simplify, options) and runs the create flow. */
export async function executeCreateOperation(
	ctx: IExecuteFunctions,
	items: INodeExecutionData[],
	spec: CreateOperationSpec,
): Promise<INodeExecutionData[]> {
	const options = readCreateOptions(ctx.getNodeParameter('options', 0, {}) as IDataObject, spec.timeoutSeconds, spec.intervalSeconds);
	const waitForCompletion = ctx.getNodeParameter('waitForCompletion', 0, spec.waitByDefault) as boolean;
	const downloadImages = spec.producesImages && waitForCompletion && (ctx.getNodeParameter('downloadImages', 0, true) as boolean);
	return await runCreateFlow(ctx, items.length, (itemIndex) => spec.buildBody(ctx, itemIndex) as IDataObject, {
		type: spec.type,
		waitForCompletion,
		downloadImages,
		simplify: ctx.getNodeParameter('simplify', 0, true) as boolean,
		timeoutMs: options.timeoutMs,
		intervalMs: options.pollIntervalMs,
		concurrency: options.concurrency,
		binaryPrefix: options.binaryPrefix,
	});
}
