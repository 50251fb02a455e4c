import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { properties } from './actions/node.description';
import { router } from './actions/router';

export class Dreamlook implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Dreamlook',
		name: 'dreamlook',
		icon: { light: 'file:../../icons/dreamlook.svg', dark: 'file:../../icons/dreamlook.dark.svg' },
		group: ['transform'],
		version: 1,
		// The action names users know ("Create Image Job", "List Jobs") rather than "create: image".
		subtitle:
			'={{ $parameter["resource"] === "checkpoint" ? "Download Checkpoint" : $parameter["resource"] === "job" ? ($parameter["operation"] === "getMany" ? "List Jobs" : "Get Job") : ($parameter["resource"] === "training" ? ($parameter["operation"] === "trainAndGenerate" ? "Train and Generate" : "Create Training Job") : "Create Image Job") }}',
		description: 'Generate images with Stable Diffusion and train DreamBooth models on dreamlook.ai',
		defaults: { name: 'Dreamlook' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'dreamlookApi', required: true }],
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
