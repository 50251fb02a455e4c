import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import * as checkpointDownload from './checkpoint/download.operation';
import * as imageCreate from './image/create.operation';
import * as jobGet from './job/get.operation';
import * as jobGetMany from './job/getMany.operation';
import * as trainingCreate from './training/create.operation';
import * as trainingTrainAndGenerate from './training/trainAndGenerate.operation';

type Operation = (this: IExecuteFunctions, items: INodeExecutionData[]) => Promise<INodeExecutionData[]>;

const OPERATIONS: Record<string, Record<string, Operation>> = {
	image: { create: imageCreate.execute },
	training: { create: trainingCreate.execute, trainAndGenerate: trainingTrainAndGenerate.execute },
	job: { get: jobGet.execute, getMany: jobGetMany.execute },
	checkpoint: { download: checkpointDownload.execute },
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const run = OPERATIONS[resource]?.[operation];
	if (!run) {
		throw new NodeOperationError(this.getNode(), `The operation "${operation}" of "${resource}" is not supported`, {
			description: 'Pick an operation from the list; this workflow may come from a newer version of the node.',
		});
	}
	return [await run.call(this, items)];
}
