import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { type DreamboothRequest, LIMITS, MODEL_TYPES } from '../../api/contract';
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

// Train and Generate (trainAndGenerate.operation.ts) trains with the same fields.
const show = { resource: ['training'], operation: ['create', 'trainAndGenerate'] };
export const TIMEOUT_SECONDS = 3600;
export const INTERVAL_SECONDS = 30;
/** Dreamlook's recommended defaults per model type (docs: SD 1.5 and SDXL guides). */
const TRAINING_DEFAULTS = {
	'sd-v1': { steps: 1200, learningRate: 1e-6 },
	'sdxl-v1': { steps: 1500, learningRate: 1e-5, learningRateTe1: 3e-6, learningRateTe2: 0 },
} as const;

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
	modelTypeField(show, 'Sets the base model, steps and learning-rate defaults'),
	waitForCompletionField(show, 'the trained checkpoint IDs (and images); training takes 10–30 minutes'),
	simplifyField(show),
	additionalFieldsCollection(show, [
		baseModelField(
			'Model to fine-tune. Default: the standard model of the model type.',
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
			typeOptions: { numberPrecision: 8 },
			default: 0.000001,
			description: 'UNet learning rate. Default: 1e-6 for SD 1.5, 1e-5 for SDXL.',
		},
		{
			displayName: 'Learning Rate Text Encoder 1 (SDXL)',
			name: 'learningRateTe1',
			type: 'number',
			typeOptions: { numberPrecision: 8 },
			default: 0.000003,
		},
		{
			displayName: 'Learning Rate Text Encoder 2 (SDXL)',
			name: 'learningRateTe2',
			type: 'number',
			typeOptions: { numberPrecision: 8 },
			default: 0,
			description: 'Dreamlook requires 0',
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
			typeOptions: { minValue: LIMITS.trainingStepsMin, maxValue: LIMITS.trainingStepsMax },
			default: 1200,
			description: 'Training steps. Default: 1200 for SD 1.5, 1500 for SDXL.',
		},
	]),
	createOptionsField(show, TIMEOUT_SECONDS, INTERVAL_SECONDS),
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
	const modelType = ctx.getNodeParameter('modelType', itemIndex) as keyof typeof TRAINING_DEFAULTS;
	const model = Object.values(MODEL_TYPES).find((candidate) => candidate.value === modelType) ?? MODEL_TYPES.sd15;
	const defaults = TRAINING_DEFAULTS[model.value];

	const urls = splitList(ctx.getNodeParameter('imageUrls', itemIndex));
	if (urls.length === 0) check.fail('Image URLs', 'is empty', 'Enter at least one public image URL, one per line.');
	if (urls.length > LIMITS.trainingImagesMax) check.fail('Image URLs', `has ${urls.length} URLs`, `Use at most ${LIMITS.trainingImagesMax} images.`);
	urls.forEach((url, index) => check.url(`Image URLs (#${index + 1})`, url, 'Each image must be a public http(s) URL; Dreamlook downloads it.'));

	const body: DreamboothRequest = {
		image_urls: urls,
		instance_prompt: check.text('Instance Prompt', ctx.getNodeParameter('instancePrompt', itemIndex), 'Name the subject, e.g. "photo of ukj person".'),
		model_type: model.value,
		base_model: (extra.baseModel as string) || model.defaultBaseModel,
		steps: check.integer('Steps', extra.steps ?? defaults.steps, LIMITS.trainingStepsMin, LIMITS.trainingStepsMax),
		learning_rate: check.number('Learning Rate', extra.learningRate ?? defaults.learningRate, 0, 1),
		crop_method: (extra.cropMethod as string) || 'center',
		extract_lora: extra.extractLora === true ? 'original' : 'disabled',
		enable_offset_noise: extra.enableOffsetNoise === true,
		saved_model_format: (extra.savedModelFormat as string) || 'original',
		saved_model_weights_format: (extra.savedModelWeightsFormat as string) || 'safetensors',
	};
	if (model.value === 'sdxl-v1') {
		const sdxl = TRAINING_DEFAULTS['sdxl-v1'];
		body.learning_rate_te1 = check.number('Learning Rate Text Encoder 1', extra.learningRateTe1 ?? sdxl.learningRateTe1, 0, 1);
		body.learning_rate_te2 = check.number('Learning Rate Text Encoder 2', extra.learningRateTe2 ?? sdxl.learningRateTe2, 0, 0);
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
		timeoutSeconds: TIMEOUT_SECONDS,
		intervalSeconds: INTERVAL_SECONDS,
	});
}
