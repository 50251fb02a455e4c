import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { type DreamboothRequest, LIMITS, MODEL_TYPES, type ModelTypeSpec } from '../../api/contract';
import { InputChecker, splitList } from '../../shared/validate';
import {
	additionalFieldsCollection,
	baseModelField,
	callbackField,
	createOptionsField,
	dryRunField,
	expectedTokenCostField,
	modelTypeField,
	readMoneyFields,
	simplifyField,
	waitForCompletionField,
} from '../common.descriptions';
import { executeCreateOperation } from '../createOperation';
import { withCheckpointOption } from '../createSettings';

// Train and Generate (trainAndGenerate.operation.ts) trains with the same fields.
const show = { resource: ['training'], operation: ['create', 'trainAndGenerate'] };
export const TIMEOUT_SECONDS = 3600;
export const INTERVAL_SECONDS = 30;
const SDXL = MODEL_TYPES.sdxl;
/** What a 0 in Steps or Learning Rate means: the model type's default, from the contract. */
const perModel = (pick: (model: ModelTypeSpec) => number | string) =>
	Object.values(MODEL_TYPES).map((model) => `${pick(model)} for ${model.label}`).join(', ');

export const description: INodeProperties[] = [
	{
		displayName: 'Image URLs',
		name: 'imageUrls',
		type: 'string',
		typeOptions: { rows: 4 },
		required: true,
		default: '',
		placeholder: 'https://example.com/me-1.jpg\nhttps://example.com/me-2.jpg',
		description: 'Public URLs of the training photos, one per line or comma-separated (or an array from an expression). 5–15 photos work well.',
		displayOptions: { show },
	},
	{
		displayName: 'Instance Prompt',
		name: 'instancePrompt',
		type: 'string',
		required: true,
		default: 'photo of ukj person',
		description: 'Names the subject with a rare token; use the same words in later prompts',
		displayOptions: { show },
	},
	modelTypeField(show, 'Sets the defaults of Base Model, Steps and the learning rates; a Base Model of the other type is refused'),
	waitForCompletionField(show, 'the trained checkpoint IDs (and images); training takes 10–30 minutes'),
	simplifyField(show),
	additionalFieldsCollection(show, [
		baseModelField(
			`Model to fine-tune; it must belong to the Model Type. Default: ${perModel((model) => model.defaultBaseModel)}.`,
		),
		callbackField(),
		{
			displayName: 'Crop Method',
			name: 'cropMethod',
			type: 'options',
			options: [
				{ name: 'Center', value: 'center' },
				{ name: 'Face', value: 'face' },
			],
			default: 'center',
		},
		dryRunField(),
		expectedTokenCostField(),
		{
			displayName: 'Extract LoRA',
			name: 'extractLora',
			type: 'boolean',
			default: false,
			description: 'Whether to also produce a LoRA checkpoint',
		},
		{
			displayName: 'Image Captions (JSON)',
			name: 'imageCaptions',
			type: 'json',
			default: '{}',
			description: 'File name (last part of the image URL) → caption or list of captions',
		},
		{
			displayName: 'Learning Rate',
			name: 'learningRate',
			type: 'number',
			typeOptions: { minValue: 0, numberPrecision: 8 },
			default: 0,
			description: `UNet learning rate. 0 = the model type's default: ${perModel((model) => model.training.learningRate)}.`,
		},
		{
			displayName: 'Learning Rate Text Encoder 1 (SDXL)',
			name: 'learningRateTe1',
			type: 'number',
			typeOptions: { minValue: 0, numberPrecision: 8 },
			default: 0.000003, // = the contract's SDXL learningRateTe1 (unit-tested)
			description: `Stable Diffusion XL only (an error with Stable Diffusion 1.5). Default: ${SDXL.training.learningRateTe1}.`,
		},
		{
			displayName: 'Learning Rate Text Encoder 2 (SDXL)',
			name: 'learningRateTe2',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 0, numberPrecision: 8 },
			default: 0, // = the contract's SDXL learningRateTe2 (unit-tested)
			description: 'Stable Diffusion XL only (an error with Stable Diffusion 1.5). Dreamlook requires 0.',
		},
		{
			displayName: 'Offset Noise',
			name: 'enableOffsetNoise',
			type: 'boolean',
			default: false,
			description: 'Whether to train with offset noise (better very dark or bright images)',
		},
		{
			displayName: 'Saved Model Format',
			name: 'savedModelFormat',
			type: 'options',
			options: [{ name: 'Original', value: 'original' }],
			default: 'original',
		},
		{
			displayName: 'Saved Weights Format',
			name: 'savedModelWeightsFormat',
			type: 'options',
			options: [{ name: 'Safetensors', value: 'safetensors' }],
			default: 'safetensors',
		},
		{
			displayName: 'Steps',
			name: 'steps',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: LIMITS.trainingStepsMax },
			default: 0,
			description: `Training steps. 0 = the model type's default: ${perModel((model) => model.training.steps)}.`,
		},
	]),
	{
		displayName: 'Download Checkpoints',
		name: 'downloadCheckpoints',
		type: 'boolean',
		default: false,
		description:
			'Whether to attach the trained checkpoints (and the LoRA, if extracted) as binary data (checkpoint_0, …), streamed into n8n\'s binary store within the Timeout. May differ per item.',
		displayOptions: { show: { ...show, waitForCompletion: [true] } },
	},
	withCheckpointOption(createOptionsField(show, TIMEOUT_SECONDS, INTERVAL_SECONDS)),
];

function readCaptions(check: InputChecker, value: unknown): Record<string, string | string[]> | undefined {
	if (value === undefined || value === '' || value === '{}') return undefined;
	let parsed: unknown = value;
	if (typeof value === 'string') {
		try {
			parsed = JSON.parse(value);
		} catch {
			check.fail('Image Captions', 'is not valid JSON', 'Enter an object like {"me-1.jpg": "photo of ukj person smiling"}.');
		}
	}
	const valid =
		parsed !== null &&
		typeof parsed === 'object' &&
		!Array.isArray(parsed) &&
		Object.values(parsed).every((caption) => typeof caption === 'string' || (Array.isArray(caption) && caption.every((c) => typeof c === 'string')));
	if (!valid) check.fail('Image Captions', 'must map file names to a caption or a list of captions', 'Example: {"me-1.jpg": "photo of ukj person smiling"}.');
	return Object.keys(parsed as object).length > 0 ? (parsed as Record<string, string | string[]>) : undefined;
}

/** Builds and checks one item's POST /dreambooth body; throws before anything is sent. */
export function buildDreamboothBody(ctx: IExecuteFunctions, itemIndex: number): DreamboothRequest {
	const check = new InputChecker(ctx.getNode(), itemIndex);
	const extra = ctx.getNodeParameter('additionalFields', itemIndex, {}) as IDataObject;
	const model = check.modelType(ctx.getNodeParameter('modelType', itemIndex));
	const defaults = model.training;
	// 0, empty or absent: the model type's default (the fields' default is 0).
	const orDefault = (value: unknown, fallback: number) => (value === undefined || value === null || value === '' || value === 0 || value === '0' ? fallback : value);

	const urls = splitList(ctx.getNodeParameter('imageUrls', itemIndex));
	if (urls.length === 0) check.fail('Image URLs', 'is empty', 'Enter at least one public image URL, one per line.');
	if (urls.length > LIMITS.trainingImagesMax) check.fail('Image URLs', `has ${urls.length} URLs`, `Use at most ${LIMITS.trainingImagesMax} images.`);
	urls.forEach((url, index) => check.url(`Image URLs (#${index + 1})`, url, 'Each image must be a public http(s) URL; Dreamlook downloads it.'));

	const body: DreamboothRequest = {
		image_urls: urls,
		instance_prompt: check.text('Instance Prompt', ctx.getNodeParameter('instancePrompt', itemIndex), 'Name the subject, e.g. "photo of ukj person".'),
		model_type: model.value,
		base_model: check.baseModel(extra.baseModel, model),
		steps: check.integer('Steps', orDefault(extra.steps, defaults.steps), LIMITS.trainingStepsMin, LIMITS.trainingStepsMax),
		learning_rate: check.number('Learning Rate', orDefault(extra.learningRate, defaults.learningRate), 0, 1),
		crop_method: (extra.cropMethod as string) || 'center',
		extract_lora: extra.extractLora === true ? 'original' : 'disabled',
		enable_offset_noise: extra.enableOffsetNoise === true,
		saved_model_format: (extra.savedModelFormat as string) || 'original',
		saved_model_weights_format: (extra.savedModelWeightsFormat as string) || 'safetensors',
	};
	if ('learningRateTe1' in defaults) {
		body.learning_rate_te1 = check.number('Learning Rate Text Encoder 1', extra.learningRateTe1 ?? defaults.learningRateTe1, 0, 1);
		body.learning_rate_te2 = check.number('Learning Rate Text Encoder 2', extra.learningRateTe2 ?? defaults.learningRateTe2, 0, 0);
	} else {
		for (const [key, field] of [['learningRateTe1', 'Learning Rate Text Encoder 1 (SDXL)'], ['learningRateTe2', 'Learning Rate Text Encoder 2 (SDXL)']]) {
			if (extra[key] !== undefined) check.fail(field, `applies to ${SDXL.label} only, but Model Type is ${model.label}`, `Remove the field, or set Model Type to ${SDXL.label}.`);
		}
	}
	const captions = readCaptions(check, extra.imageCaptions);
	if (captions) body.image_captions = captions;
	if (extra.callbackUrl) body.callback = check.url('Callback URL', extra.callbackUrl, 'Enter a full http(s) URL, such as an n8n Webhook URL.');
	Object.assign(body, readMoneyFields(check, extra));
	return body;
}

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	return await executeCreateOperation(this, items, {
		type: 'dreambooth',
		buildBody: buildDreamboothBody,
		waitByDefault: false,
		producesImages: false,
		producesCheckpoints: true,
		timeoutSeconds: TIMEOUT_SECONDS,
		intervalSeconds: INTERVAL_SECONDS,
	});
}
