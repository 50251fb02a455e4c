import type { INodeProperties } from 'n8n-workflow';

import * as checkpointDownload from './checkpoint/download.operation';
import * as imageCreate from './image/create.operation';
import * as jobGet from './job/get.operation';
import * as jobGetMany from './job/getMany.operation';
import * as trainingCreate from './training/create.operation';
import { toolDescriptionProperties } from './tool.descriptions';
import * as trainingTrainAndGenerate from './training/trainAndGenerate.operation';

export const properties: INodeProperties[] = [
	{
		displayName: 'Resource',
		name: 'resource',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Checkpoint', value: 'checkpoint' },
			{ name: 'Image', value: 'image' },
			{ name: 'Job', value: 'job' },
			{ name: 'Training', value: 'training' },
		],
		default: 'image',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['checkpoint'] } },
		options: [
			{
				name: 'Download',
				value: 'download',
				action: 'Download checkpoint',
				description: 'Download the trained model (and its LoRA) of a finished training job as binary data',
			},
		],
		default: 'download',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['image'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				action: 'Create image job',
				description: 'Generate images with Stable Diffusion, optionally waiting for them',
			},
		],
		default: 'create',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['training'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				action: 'Create training job',
				description: 'Fine-tune a model on your photos with DreamBooth',
			},
			{
				name: 'Train and Generate',
				value: 'trainAndGenerate',
				action: 'Train a model and generate images with it',
				description: 'One job: train on your photos, then generate images from prompts with the new model',
			},
		],
		default: 'create',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['job'] } },
		options: [
			{ name: 'Get', value: 'get', action: 'Get job', description: 'Get one job by ID' },
			{ name: 'Get Many', value: 'getMany', action: 'List jobs', description: 'List jobs, newest first' },
		],
		default: 'get',
	},
	// Only in the tool variant (dreamlookTool): what the AI agent reads about each operation.
	...toolDescriptionProperties,
	...imageCreate.description,
	...trainingCreate.description,
	...trainingTrainAndGenerate.description,
	...jobGet.description,
	...jobGetMany.description,
	...checkpointDownload.description,
];
