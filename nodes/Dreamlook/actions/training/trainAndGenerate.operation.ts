import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { type DreamboothImageGenRequest, type ImageGenRequest, LIMITS, MODEL_TYPES, modelTypeOf } from '../../api/contract';
import { InputChecker, splitLines } from '../../shared/validate';
import { downloadImagesField } from '../common.descriptions';
import { executeCreateOperation } from '../createOperation';
import { buildDreamboothBody, INTERVAL_SECONDS, TIMEOUT_SECONDS } from './create.operation';

// The training fields are shared with Training → Create (see its `show`); these are the extra ones.
const show = { resource: ['training'], operation: ['trainAndGenerate'] };
const PROMPTS_MAX = 20;

export const description: INodeProperties[] = [
	{
		displayName: 'Prompts to Generate',
		name: 'generationPrompts',
		type: 'string',
		typeOptions: { rows: 4 },
		required: true,
		default: '',
		placeholder: 'photo of ukj person as an astronaut\nphoto of ukj person in a pirate costume',
		description: 'One prompt per line, generated with the new model once training ends. Use the instance prompt\'s token.',
		displayOptions: { show },
	},
	{
		displayName: 'Images per Prompt',
		name: 'imagesPerPrompt',
		type: 'number',
		typeOptions: { minValue: LIMITS.samplesMin, maxValue: LIMITS.samplesMax },
		default: 4,
		displayOptions: { show },
	},
	{
		displayName: 'Image Width',
		name: 'imageWidth',
		type: 'number',
		typeOptions: { minValue: LIMITS.dimensionMin, maxValue: LIMITS.dimensionMax, numberStepSize: 8 },
		default: 512,
		description: 'In pixels, a multiple of 8. 1024 suits SDXL.',
		displayOptions: { show },
	},
	{
		displayName: 'Image Height',
		name: 'imageHeight',
		type: 'number',
		typeOptions: { minValue: LIMITS.dimensionMin, maxValue: LIMITS.dimensionMax, numberStepSize: 8 },
		default: 512,
		description: 'In pixels, a multiple of 8. 1024 suits SDXL.',
		displayOptions: { show },
	},
	downloadImagesField({ ...show, waitForCompletion: [true] }),
];

/**
 * POST /dreambooth_image_gen: one job that trains, then generates with the new checkpoint.
 * Body shape from one public client (a guess, see api/contract.ts): {dreambooth, image_gen[], callback, dry_run}.
 */
export function buildTrainAndGenerateBody(ctx: IExecuteFunctions, itemIndex: number): DreamboothImageGenRequest {
	const check = new InputChecker(ctx.getNode(), itemIndex);
	const { callback, dry_run: dryRun, validate_token_cost: expectedCost, ...dreambooth } = buildDreamboothBody(ctx, itemIndex);
	const model = modelTypeOf(dreambooth.model_type) ?? MODEL_TYPES.sd15;
	const prompts = splitLines(ctx.getNodeParameter('generationPrompts', itemIndex));
	if (prompts.length === 0) check.fail('Prompts to Generate', 'is empty', 'Enter at least one prompt, one per line.');
	if (prompts.length > PROMPTS_MAX) check.fail('Prompts to Generate', `has ${prompts.length} prompts`, `Use at most ${PROMPTS_MAX}, or generate more later with Image → Create and the checkpoint ID.`);
	const imagesPerPrompt = check.integer('Images per Prompt', ctx.getNodeParameter('imagesPerPrompt', itemIndex), LIMITS.samplesMin, LIMITS.samplesMax);
	const width = check.dimension('Image Width', ctx.getNodeParameter('imageWidth', itemIndex));
	const height = check.dimension('Image Height', ctx.getNodeParameter('imageHeight', itemIndex));
	const imageGen: ImageGenRequest[] = prompts.map((prompt) => ({
		prompt,
		num_samples: imagesPerPrompt,
		width,
		height,
		model_type: model.value,
		scheduler_type: model.defaultScheduler,
		num_inference_steps: model.imageSteps,
		guidance_scale: model.guidanceScale,
		seed: -1,
	}));
	const body: DreamboothImageGenRequest = { dreambooth, image_gen: imageGen };
	if (callback) body.callback = callback;
	if (dryRun) body.dry_run = true;
	if (expectedCost !== undefined) body.validate_token_cost = expectedCost;
	return body;
}

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	return await executeCreateOperation(this, items, {
		type: 'dreamboothImageGen',
		buildBody: buildTrainAndGenerateBody,
		waitByDefault: false,
		producesImages: true,
		producesCheckpoints: true,
		timeoutSeconds: TIMEOUT_SECONDS,
		intervalSeconds: INTERVAL_SECONDS,
	});
}
