import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { type ImageGenRequest, LIMITS, MODEL_TYPES, SCHEDULERS } from '../../api/contract';
import { InputChecker } from '../../shared/validate';
import {
	additionalFieldsCollection,
	baseModelField,
	callbackField,
	createOptionsField,
	downloadImagesField,
	dryRunField,
	expectedTokenCostField,
	MODEL_DEFAULT,
	modelTypeField,
	readMoneyFields,
	simplifyField,
	waitForCompletionField,
} from '../common.descriptions';
import { executeCreateOperation } from '../createOperation';

const show = { resource: ['image'], operation: ['create'] };
const TIMEOUT_SECONDS = 600;
const INTERVAL_SECONDS = 5;

export const description: INodeProperties[] = [
	{
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 4 },
		required: true,
		default: '',
		placeholder: 'photo of a red fox in the snow, (golden hour:1.2), 85mm',
		description: 'What to generate. Weighting like (word:1.3) is supported.',
		displayOptions: { show },
	},
	modelTypeField(
		show,
		'Stable Diffusion 1.5 (512 px) or SDXL (1024 px). Sets the defaults of Base Model and Scheduler; a Base Model of the other type is refused.',
	),
	{
		displayName: 'Width',
		name: 'width',
		type: 'number',
		typeOptions: { minValue: LIMITS.dimensionMin, maxValue: LIMITS.dimensionMax, numberStepSize: 8 },
		default: 512,
		description: 'In pixels, a multiple of 8. 1024 suits SDXL.',
		displayOptions: { show },
	},
	{
		displayName: 'Height',
		name: 'height',
		type: 'number',
		typeOptions: { minValue: LIMITS.dimensionMin, maxValue: LIMITS.dimensionMax, numberStepSize: 8 },
		default: 512,
		description: 'In pixels, a multiple of 8. 1024 suits SDXL.',
		displayOptions: { show },
	},
	{
		displayName: 'Number of Images',
		name: 'numSamples',
		type: 'number',
		typeOptions: { minValue: LIMITS.samplesMin, maxValue: LIMITS.samplesMax },
		default: 1,
		description: 'How many images to generate (each costs tokens)',
		displayOptions: { show },
	},
	{ ...waitForCompletionField(show, 'the images'), default: true },
	downloadImagesField({ ...show, waitForCompletion: [true] }),
	simplifyField(show),
	additionalFieldsCollection(show, [
		baseModelField(
			`Dreamlook model to generate with; it must belong to the Model Type. Default: ${Object.values(MODEL_TYPES).map((model) => `${model.defaultBaseModel} for ${model.label}`).join(', ')}. Leave out when using a trained checkpoint.`,
		),
		callbackField(),
		{
			displayName: 'Denoising Strength',
			name: 'denoisingStrength',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
			default: 0.5,
			description: 'How much the high-res fix may change the image (0–1). Only used with High-Res Fix.',
		},
		dryRunField(),
		expectedTokenCostField(),
		{
			displayName: 'Guidance Scale',
			name: 'guidanceScale',
			type: 'number',
			typeOptions: { minValue: LIMITS.guidanceMin, maxValue: LIMITS.guidanceMax, numberPrecision: 1 },
			default: 7.5, // = every model type's guidanceScale in the contract (unit-tested)
			description: `How closely to follow the prompt. Default: ${MODEL_TYPES.sd15.guidanceScale} for every model type.`,
		},
		{
			displayName: 'High-Res Fix',
			name: 'enableHrf',
			type: 'boolean',
			default: false,
			description: 'Whether to upscale with a second pass for more detail',
		},
		{
			displayName: 'Negative Prompt',
			name: 'negativePrompt',
			type: 'string',
			typeOptions: { rows: 2 },
			default: '',
			placeholder: 'blurry, lowres, watermark',
			description: 'What the images should not contain',
		},
		{
			displayName: 'Output Format',
			name: 'outputFormat',
			type: 'options',
			options: [
				{ name: 'PNG', value: 'png' },
				{ name: 'JPEG', value: 'jpeg' },
			],
			default: 'png',
		},
		{
			displayName: 'Scheduler',
			name: 'schedulerType',
			type: 'options',
			options: [
				{ name: 'Default of the Model Type', value: MODEL_DEFAULT },
				...SCHEDULERS.map((scheduler) => ({ name: scheduler, value: scheduler })),
			],
			default: MODEL_DEFAULT,
			description: `Sampler. Default: ${Object.values(MODEL_TYPES).map((model) => `${model.defaultScheduler} for ${model.label}`).join(', ')}.`,
		},
		{
			displayName: 'Seed',
			name: 'seed',
			type: 'number',
			default: -1,
			description: 'Same seed + same settings = same image. -1 picks a random seed.',
		},
		{
			displayName: 'Steps',
			name: 'numInferenceSteps',
			type: 'number',
			typeOptions: { minValue: LIMITS.stepsMin, maxValue: LIMITS.stepsMax },
			default: 20, // = every model type's imageSteps in the contract (unit-tested)
			description: `Denoising steps: more is slower and sometimes finer. Default: ${MODEL_TYPES.sd15.imageSteps} for every model type.`,
		},
		{
			displayName: 'Trained Checkpoint ID',
			name: 'checkpointId',
			type: 'string',
			default: '',
			placeholder: 'ckp_abc12345',
			description: 'Generate with a model you trained (Training → Create returns its checkpoint IDs). Replaces Base Model.',
		},
	]),
	createOptionsField(show, TIMEOUT_SECONDS, INTERVAL_SECONDS),
];

/** Builds and checks one item's POST /image_gen body; throws before anything is sent. */
export function buildImageGenBody(ctx: IExecuteFunctions, itemIndex: number): ImageGenRequest {
	const check = new InputChecker(ctx.getNode(), itemIndex);
	const extra = ctx.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	const model = check.modelType(ctx.getNodeParameter('modelType', itemIndex));

	const body: ImageGenRequest = {
		prompt: check.text('Prompt', ctx.getNodeParameter('prompt', itemIndex), 'Describe the image to generate in the Prompt field.'),
		model_type: model.value,
		width: check.dimension('Width', ctx.getNodeParameter('width', itemIndex)),
		height: check.dimension('Height', ctx.getNodeParameter('height', itemIndex)),
		num_samples: check.integer('Number of Images', ctx.getNodeParameter('numSamples', itemIndex), LIMITS.samplesMin, LIMITS.samplesMax),
		num_inference_steps: check.integer('Steps', extra.numInferenceSteps ?? model.imageSteps, LIMITS.stepsMin, LIMITS.stepsMax),
		guidance_scale: check.number('Guidance Scale', extra.guidanceScale ?? model.guidanceScale, LIMITS.guidanceMin, LIMITS.guidanceMax),
		scheduler_type: check.scheduler(extra.schedulerType, model),
		seed: check.integer('Seed', extra.seed ?? -1, -1, 2 ** 32 - 1),
	};
	const checkpointId = typeof extra.checkpointId === 'string' ? extra.checkpointId.trim() : '';
	if (checkpointId && extra.baseModel) {
		check.fail('Trained Checkpoint ID', 'is set together with Base Model', 'Remove one of them: a trained checkpoint replaces the base model.');
	}
	if (checkpointId) {
		if (!/^[A-Za-z0-9_-]+$/.test(checkpointId)) check.fail('Trained Checkpoint ID', `"${checkpointId}" is not a checkpoint ID`, 'Checkpoint IDs look like ckp_abc12345.');
		body.checkpoint_id = checkpointId;
	} else {
		body.base_model = check.baseModel(extra.baseModel, model);
	}
	const negativePrompt = typeof extra.negativePrompt === 'string' ? extra.negativePrompt.trim() : '';
	if (negativePrompt) body.negative_prompt = negativePrompt;
	if (extra.enableHrf === true) {
		body.enable_hrf = true;
		body.denoising_strength = check.number('Denoising Strength', extra.denoisingStrength ?? 0.5, 0, 1);
	}
	if (extra.outputFormat) body.output_format = extra.outputFormat as string;
	if (extra.callbackUrl) body.callback = check.url('Callback URL', extra.callbackUrl, 'Enter a full http(s) URL, such as an n8n Webhook URL.');
	Object.assign(body, readMoneyFields(check, extra));
	return body;
}

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	return await executeCreateOperation(this, items, {
		type: 'imageGen',
		buildBody: buildImageGenBody,
		waitByDefault: true,
		producesImages: true,
		timeoutSeconds: TIMEOUT_SECONDS,
		intervalSeconds: INTERVAL_SECONDS,
	});
}
