import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { BASE_MODELS, MODEL_TYPES, modelTypeOf } from '../api/contract';
import { readConcurrency } from '../shared/runConcurrency';
import { type InputChecker, positiveOr } from '../shared/validate';

type Show = Record<string, Array<string | boolean>>;

export const modelTypeOptions = Object.values(MODEL_TYPES).map((model) => ({ name: model.label, value: model.value }));

/** The value of the first option of Base Model / Scheduler: "the model type's default", resolved by the node. */
export const MODEL_DEFAULT = '';

export const baseModelOptions = [
	{ name: 'Default of the Model Type', value: MODEL_DEFAULT, description: Object.values(MODEL_TYPES).map((model) => `${model.label}: ${model.defaultBaseModel}`).join('; ') },
	...BASE_MODELS.map((model) => ({
		name: model.label,
		value: model.value,
		description: `A ${modelTypeOf(model.modelType)?.label ?? model.modelType} model: use with that model type`,
	})),
];

/** The "Additional Fields" collection of an operation, with its options sorted as the linter expects. */
export function additionalFieldsCollection(show: Show, options: INodeProperties[]): INodeProperties {
	return {
		displayName: 'Additional Fields',
		name: 'additionalFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show },
		options,
	};
}

export function baseModelField(description: string): INodeProperties {
	return {
		displayName: 'Base Model',
		name: 'baseModel',
		type: 'options',
		options: baseModelOptions,
		default: MODEL_DEFAULT,
		description,
	};
}

export function modelTypeField(show: Show, description: string): INodeProperties {
	return {
		displayName: 'Model Type',
		name: 'modelType',
		type: 'options',
		options: modelTypeOptions,
		default: 'sd-v1',
		description,
		displayOptions: { show },
	};
}

/** Without `show` (the trigger, which has no resource/operation), the field is always shown. */
export function simplifyField(show?: Show): INodeProperties {
	return {
		displayName: 'Simplify',
		name: 'simplify',
		type: 'boolean',
		default: true,
		description:
			'Whether to return only the job ID, state, image URLs, seeds, checkpoint IDs and durations instead of the full job object',
		...(show ? { displayOptions: { show } } : {}),
	};
}

/** Off by default; spread with `default: true` where waiting is the common case. */
export function waitForCompletionField(show: Show, what: string): INodeProperties {
	return {
		displayName: 'Wait for Completion',
		name: 'waitForCompletion',
		type: 'boolean',
		default: false,
		description: `Whether to wait until the job has finished and return ${what}. Off: return the job ID at once. May differ per item.`,
		displayOptions: { show },
	};
}

export function downloadImagesField(show: Show): INodeProperties {
	return {
		displayName: 'Download Images',
		name: 'downloadImages',
		type: 'boolean',
		default: true,
		description:
			'Whether to attach each generated image as binary data (data_0, data_1, …) on the item. Dreamlook\'s image links expire after one hour. May differ per item.',
		displayOptions: { show },
	};
}

/** Wait and output tuning shared by the create operations. */
export function createOptionsField(show: Show, timeoutSeconds: number, intervalSeconds: number): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		description: 'Settings of the whole run, one value for all items: an expression that differs per item is an error',
		displayOptions: { show },
		options: [
			{
				displayName: 'Binary Property Prefix',
				name: 'binaryPrefix',
				type: 'string',
				default: 'data',
				description: 'Images are attached as prefix_0, prefix_1, … (data_0, data_1 with the default)',
			},
			{
				displayName: 'Concurrency',
				name: 'concurrency',
				type: 'number',
				typeOptions: { minValue: 0, maxValue: 128 },
				default: 0,
				description:
					'Most requests to Dreamlook in flight at once across items. 0 = Auto: allows up to 128 from the start, paced so that a rate limit (429) is seen after a few requests, then keeps to the limit Dreamlook shows, backs off on slower answers and grows again while answers are fast. A number fixes it (1 = one at a time).',
			},
			{
				displayName: 'Max Image Size (MB)',
				name: 'maxImageSizeMb',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 50,
				description: 'Largest image accepted when downloading; a bigger one fails its item instead of filling the disk',
			},
			{
				displayName: 'Poll Interval (Seconds)',
				name: 'pollInterval',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: intervalSeconds,
				description: 'How often to check the job state while waiting',
			},
			{
				displayName: 'Timeout (Seconds)',
				name: 'timeout',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: timeoutSeconds,
				description:
					'How long to wait for the jobs and download their images, counted from the start of the node: no request runs past it. The job keeps running on Dreamlook either way.',
			},
		],
	};
}

export interface CreateOptions {
	binaryPrefix: string;
	/** 0 = Auto (CONCURRENCY_AUTO), else the fixed limit. */
	concurrency: number;
	pollIntervalMs: number;
	timeoutMs: number;
	/** Largest image accepted by Download Images, in bytes. */
	maxImageBytes: number;
}

export function readCreateOptions(options: Record<string, unknown>, timeoutSeconds: number, intervalSeconds: number): CreateOptions {
	const prefix = typeof options.binaryPrefix === 'string' && options.binaryPrefix.trim() ? options.binaryPrefix.trim() : 'data';
	return {
		binaryPrefix: prefix,
		concurrency: readConcurrency(options.concurrency),
		pollIntervalMs: positiveOr(options.pollInterval, intervalSeconds) * 1000,
		timeoutMs: positiveOr(options.timeout, timeoutSeconds) * 1000,
		maxImageBytes: Math.round(positiveOr(options.maxImageSizeMb, 50) * 1024 * 1024),
	};
}

export function callbackField(): INodeProperties {
	return {
		displayName: 'Callback URL',
		name: 'callbackUrl',
		type: 'string',
		default: '',
		placeholder: 'https://your-n8n/webhook/…/dreamlook',
		description:
			'Dreamlook POSTs the finished job to this URL (n8n must be reachable from the internet). To start another workflow when the job ends, paste the Production URL of a Dreamlook Instant Trigger. To pause this execution until then, use {{ $execution.resumeUrl }} with a Wait node (On Webhook Call) followed by Job → Get.',
	};
}

export function dryRunField(): INodeProperties {
	return {
		displayName: 'Dry Run',
		name: 'dryRun',
		type: 'boolean',
		default: false,
		description:
			'Whether to only validate the request: Dreamlook returns a TEST_ job ID, starts nothing and charges nothing. From an expression, only true/false, "true"/"false" or 1/0 are accepted.',
	};
}

export function expectedTokenCostField(): INodeProperties {
	return {
		displayName: 'Expected Token Cost',
		name: 'expectedTokenCost',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description:
			'Spend guard: sent as validate_token_cost, so that Dreamlook refuses the job if it would cost a different number of tokens (believed API behaviour, not documented). 0 = no check. A Dry Run shows what Dreamlook answers.',
	};
}

/** The create fields every body shares, read fail-closed: Dry Run, Expected Token Cost. */
export function readMoneyFields(check: InputChecker, extra: IDataObject): { dry_run?: true; validate_token_cost?: number } {
	const fields: { dry_run?: true; validate_token_cost?: number } = {};
	if (check.boolean('Dry Run', extra.dryRun)) fields.dry_run = true;
	// 0 (the field's default) means no check: no job costs 0 tokens.
	const expected = extra.expectedTokenCost === undefined || extra.expectedTokenCost === '' ? 0 : check.integer('Expected Token Cost', extra.expectedTokenCost, 0, 1000000);
	if (expected > 0) fields.validate_token_cost = expected;
	return fields;
}
