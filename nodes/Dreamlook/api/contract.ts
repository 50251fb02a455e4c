/**
 * Dreamlook's API in one file: paths, job types, states, limits and response schemas.
 * What is guessed (see docs/decisions.md) lives here only, so a correction touches this file.
 * Schemas use only zod API common to zod 3.25 and 4, and pass unknown fields through.
 */
import { z } from 'zod';

export const DEFAULT_BASE_URL = 'https://api.dreamlook.ai';

/** The three kinds of job. `pathSegment` is what GET /jobs/{segment}/{id} expects. */
export const JOB_TYPES = {
	imageGen: {
		label: 'Image Generation',
		/** For sentences: "an image generation job" (see jobNoun). */
		noun: 'image generation job',
		article: 'an',
		pathSegment: 'image-gen',
		// The docs spell it once with an underscore: tried once when the hyphen gives 404.
		alternatePathSegment: 'image_gen',
		createPath: '/image_gen',
		idPrefix: 'ig_',
	},
	dreambooth: {
		label: 'Training (DreamBooth)',
		noun: 'DreamBooth training job',
		article: 'a',
		pathSegment: 'dreambooth',
		alternatePathSegment: undefined,
		createPath: '/dreambooth',
		idPrefix: 'db_',
	},
	dreamboothImageGen: {
		label: 'Train and Generate',
		noun: 'train-and-generate job',
		article: 'a',
		pathSegment: 'dreambooth_image_gen',
		alternatePathSegment: undefined,
		createPath: '/dreambooth_image_gen',
		idPrefix: 'dbig_',
	},
} as const;

export type JobTypeKey = keyof typeof JOB_TYPES;
export const JOB_TYPE_KEYS = Object.keys(JOB_TYPES) as JobTypeKey[];

/** "image generation job", or with `withArticle` "an image generation job", for messages. */
export function jobNoun(type: JobTypeKey, withArticle = false): string {
	const spec = JOB_TYPES[type];
	return withArticle ? `${spec.article} ${spec.noun}` : spec.noun;
}

export function jobPath(type: JobTypeKey, jobId: string, alternate = false): string {
	const spec = JOB_TYPES[type];
	const segment = alternate && spec.alternatePathSegment ? spec.alternatePathSegment : spec.pathSegment;
	return `/jobs/${segment}/${encodeURIComponent(jobId)}`;
}

/** Which job type an id belongs to, from its prefix; undefined when the prefix is unknown. */
export function jobTypeOfId(jobId: string): JobTypeKey | undefined {
	// Longest prefix first: "dbig_" also starts with "db".
	const byPrefixLength = [...JOB_TYPE_KEYS].sort(
		(a, b) => JOB_TYPES[b].idPrefix.length - JOB_TYPES[a].idPrefix.length,
	);
	return byPrefixLength.find((key) => jobId.startsWith(JOB_TYPES[key].idPrefix));
}

/** Which job type a job object's own `job_type` names (it uses the path spelling). */
export function jobTypeOfApiName(apiName: string | undefined): JobTypeKey | undefined {
	if (!apiName) return undefined;
	return JOB_TYPE_KEYS.find(
		(key) => JOB_TYPES[key].pathSegment === apiName || JOB_TYPES[key].alternatePathSegment === apiName,
	);
}

/** Dry-run ids look like TEST_xxxxxxxx and are never stored or listed. */
export const DRY_RUN_ID_PREFIX = 'TEST_';
export const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/;

export const LIST_PATH = '/jobs';
export const LIST_PAGE_SIZE_MAX = 100;
/** Guessed query of the list endpoint (limit/offset paging, filters, order). */
export function listQuery(options: {
	jobType?: JobTypeKey;
	state?: string;
	limit: number;
	offset: number;
	newestUpdatedFirst?: boolean;
}): Record<string, string | number> {
	const qs: Record<string, string | number> = { limit: options.limit, offset: options.offset };
	if (options.jobType) qs.job_type = JOB_TYPES[options.jobType].pathSegment;
	if (options.state) qs.state = options.state;
	if (options.newestUpdatedFirst) {
		qs.order_by = 'state_updated';
		qs.order = 'desc';
	}
	return qs;
}

export const KNOWN_STATES = ['queued', 'running', 'success', 'failure'] as const;
export type KnownState = (typeof KNOWN_STATES)[number];
export const TERMINAL_STATES: readonly string[] = ['success', 'failure'];
/** The only states in which a job is known to be still going. */
export const IN_PROGRESS_STATES: readonly string[] = ['queued', 'running'];

/** Success or failure: the two documented end states (what the trigger reports). */
export function isTerminalState(state: string): boolean {
	return TERMINAL_STATES.includes(state);
}

/**
 * Whether waiting longer is pointless: any state that is not queued or running has ended, also
 * ones the docs do not list (cancelled, expired, …). Only `success` counts as success.
 */
export function isFinishedState(state: string): boolean {
	return !IN_PROGRESS_STATES.includes(state);
}

/** Input limits checked before any paid request. Ranges beyond what was seen are guesses. */
export const LIMITS = {
	dimensionMin: 256,
	dimensionMax: 2048,
	dimensionMultiple: 8,
	samplesMin: 1,
	samplesMax: 16,
	stepsMin: 1,
	stepsMax: 150,
	guidanceMin: 0,
	guidanceMax: 30,
	trainingStepsMin: 1,
	trainingStepsMax: 10000,
	trainingImagesMax: 100,
} as const;

/**
 * The two model types and every default that depends on them (Dreamlook's SD 1.5 and SDXL guides).
 * The node's fields leave these empty ("the model type's default") and resolve them here.
 */
export const MODEL_TYPES = {
	sd15: {
		value: 'sd-v1',
		label: 'Stable Diffusion 1.5',
		defaultBaseModel: 'stable-diffusion-v1-5',
		defaultScheduler: 'dpm++',
		/** Image generation: denoising steps and guidance scale. */
		imageSteps: 20,
		guidanceScale: 7.5,
		training: { steps: 1200, learningRate: 1e-6 },
	},
	sdxl: {
		value: 'sdxl-v1',
		label: 'Stable Diffusion XL',
		defaultBaseModel: 'stable-diffusion-xl-v1-0',
		defaultScheduler: 'dpmpp-2m-karras',
		imageSteps: 20,
		guidanceScale: 7.5,
		// Text-encoder rates exist for SDXL only; Dreamlook requires learning_rate_te2 = 0.
		training: { steps: 1500, learningRate: 1e-5, learningRateTe1: 3e-6, learningRateTe2: 0 },
	},
} as const;

export type ModelTypeSpec = (typeof MODEL_TYPES)[keyof typeof MODEL_TYPES];
export type ModelTypeValue = ModelTypeSpec['value'];

/** The model type with this API value (`sd-v1`, `sdxl-v1`); undefined when unknown. */
export function modelTypeOf(value: unknown): ModelTypeSpec | undefined {
	return Object.values(MODEL_TYPES).find((model) => model.value === value);
}

/** Base models seen in working clients; others may exist, so an unknown value is sent as given. */
export const BASE_MODELS = [
	{ value: 'stable-diffusion-v1-5', label: 'Stable Diffusion 1.5', modelType: 'sd-v1' },
	{ value: 'realistic-vision-v5-1', label: 'Realistic Vision 5.1', modelType: 'sd-v1' },
	{ value: 'cyberrealistic-v3-1', label: 'CyberRealistic 3.1', modelType: 'sd-v1' },
	{ value: 'stable-diffusion-xl-v1-0', label: 'Stable Diffusion XL 1.0', modelType: 'sdxl-v1' },
	{ value: 'realism-engine-sdxl-v3-0', label: 'Realism Engine SDXL 3.0', modelType: 'sdxl-v1' },
] as const;

/** The known base model with this value; undefined for one the contract does not list. */
export function baseModelOf(value: unknown): (typeof BASE_MODELS)[number] | undefined {
	return BASE_MODELS.find((model) => model.value === value);
}

export const SCHEDULERS = ['dpm++', 'dpmpp-2m-karras', 'euler', 'euler-a', 'ddim'] as const;

/**
 * When a signed image/checkpoint URL expires, read from its query (epoch ms); undefined when it does
 * not say. Dreamlook's links are Google Cloud Storage signed URLs (C: they last one hour): V4 carries
 * X-Goog-Date + X-Goog-Expires, V2 `Expires` (epoch seconds); the fake API uses `expires` like V2.
 */
export function signedUrlExpiresAt(url: string): number | undefined {
	let query: URLSearchParams;
	try {
		query = new URL(url).searchParams;
	} catch {
		return undefined;
	}
	const param = (name: string) => [...query.entries()].find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
	const date = param('X-Goog-Date');
	const lifetime = param('X-Goog-Expires');
	if (date && lifetime && /^\d{8}T\d{6}Z$/.test(date) && /^\d+$/.test(lifetime)) {
		const start = Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
		return Number.isNaN(start) ? undefined : start + Number(lifetime) * 1000;
	}
	const expires = param('Expires');
	return expires && /^\d{9,11}$/.test(expires) ? Number(expires) * 1000 : undefined;
}

// ---------------------------------------------------------------------------------------
// Request bodies (what the node sends). Field names are the API's.

export interface ImageGenRequest {
	prompt: string;
	negative_prompt?: string;
	num_samples: number;
	width: number;
	height: number;
	num_inference_steps?: number;
	guidance_scale?: number;
	scheduler_type?: string;
	seed?: number;
	enable_hrf?: boolean;
	denoising_strength?: number;
	model_type?: string;
	base_model?: string;
	checkpoint_id?: string;
	output_format?: string;
	callback?: string;
	dry_run?: boolean;
	/** Spend guard (G, seen in one client): the API is believed to refuse a job whose cost differs. */
	validate_token_cost?: number;
	tags?: JobTag[];
}

export interface DreamboothRequest {
	image_urls: string[];
	instance_prompt: string;
	steps?: number;
	learning_rate?: number;
	learning_rate_te1?: number;
	learning_rate_te2?: number;
	base_model?: string;
	model_type?: string;
	saved_model_format?: string;
	saved_model_weights_format?: string;
	crop_method?: string;
	extract_lora?: string;
	enable_offset_noise?: boolean;
	/** Field name guessed: file name (last URL path segment) -> caption(s). */
	image_captions?: Record<string, string | string[]>;
	callback?: string;
	dry_run?: boolean;
	validate_token_cost?: number;
	tags?: JobTag[];
}

/** POST /dreambooth_image_gen (shape guessed from one client): train, then generate with the result. */
export interface DreamboothImageGenRequest {
	dreambooth: Omit<DreamboothRequest, 'callback' | 'dry_run' | 'validate_token_cost' | 'tags'>;
	image_gen: ImageGenRequest[];
	callback?: string;
	dry_run?: boolean;
	validate_token_cost?: number;
	tags?: JobTag[];
}

/**
 * Tags on a job (G: `[{key, value}]`, seen for /dreambooth in one client). The node sends one
 * idempotency tag with every create so that a create whose answer was lost can be found again
 * in the job list. Whether the API keeps tags and lists them is unknown: when it does not, the
 * lookup finds nothing and the node says the job may exist instead of creating another.
 */
export interface JobTag {
	key: string;
	value: string;
}
export const IDEMPOTENCY_TAG_KEY = 'n8n_idempotency';
/** Same workflow, node, item and body, any execution: how n8n's "Retry" of a failed execution finds its job. */
export const REQUEST_TAG_KEY = 'n8n_request';

/** The value of a job's tag `key`, read tolerantly: `[{key, value}]`, `{key: value}` or `["key:value"]`. */
export function tagValueOf(job: { tags?: unknown }, key: string): string | undefined {
	const tags = job.tags;
	if (Array.isArray(tags)) {
		for (const tag of tags) {
			if (tag && typeof tag === 'object' && (tag as JobTag).key === key) return String((tag as JobTag).value);
			if (typeof tag === 'string' && tag.startsWith(`${key}:`)) return tag.slice(key.length + 1);
		}
		return undefined;
	}
	if (tags && typeof tags === 'object' && key in tags) return String((tags as Record<string, unknown>)[key]);
	return undefined;
}

// ---------------------------------------------------------------------------------------
// Responses. Everything optional that the docs do not promise; unknown fields pass through.

const optionalString = z.string().nullable().optional();
const optionalNumber = z.number().nullable().optional();

export const createResponseSchema = z.object({ job_id: z.string().min(1) }).passthrough();

export const generatedImageSchema = z
	.object({
		generated_image_id: optionalString,
		url: z.string(),
		seed: optionalNumber,
		generation_idx: optionalNumber,
	})
	.passthrough();

export const imageGenResultSchema = z
	.object({
		checkpoint_id: optionalString,
		config_idx: optionalNumber,
		generated_images: z.array(generatedImageSchema).nullable().optional(),
	})
	.passthrough();

export const checkpointSchema = z
	.object({
		checkpoint_id: z.string(),
		url: optionalString,
		is_extracted_lora: z.boolean().nullable().optional(),
	})
	.passthrough();

export const jobSchema = z
	.object({
		job_id: z.string().min(1),
		job_type: optionalString,
		// Unknown states are kept as they are and treated as "not finished".
		state: z.string(),
		state_updated: optionalString,
		state_queued_start: optionalString,
		state_queued_end: optionalString,
		state_running_start: optionalString,
		state_running_end: optionalString,
		queued_duration: optionalNumber,
		running_duration: optionalNumber,
		percentage_done: optionalNumber,
		failure_reason: z.unknown().optional(),
		failure_reason_data: z.unknown().optional(),
		tags: z.unknown().optional(),
		image_gen_results: z.array(imageGenResultSchema).nullable().optional(),
		dreambooth_result: z
			.object({ checkpoints: z.array(checkpointSchema).nullable().optional() })
			.passthrough()
			.nullable()
			.optional(),
	})
	.passthrough();

export type DreamlookJob = z.infer<typeof jobSchema>;
export type GeneratedImage = z.infer<typeof generatedImageSchema>;

/** The list body is either a bare array or an object holding the array under one of these keys. */
const LIST_ARRAY_KEYS = ['jobs', 'results', 'items', 'data'] as const;

export const listResponseSchema = z.union([
	z.array(z.unknown()),
	z.object({ total: optionalNumber }).passthrough(),
]);

export interface JobListPage {
	jobs: unknown[];
	total?: number;
}

/** Normalises a list body; undefined when no job array can be found in it. */
export function readListPage(body: unknown): JobListPage | undefined {
	const parsed = listResponseSchema.safeParse(body);
	if (!parsed.success) return undefined;
	if (Array.isArray(parsed.data)) return { jobs: parsed.data };
	const record = parsed.data as Record<string, unknown>;
	const key = LIST_ARRAY_KEYS.find((candidate) => Array.isArray(record[candidate]));
	if (!key) return undefined;
	const total = typeof record.total === 'number' ? record.total : undefined;
	return { jobs: record[key] as unknown[], total };
}

/** FastAPI error body: detail is a string or a list of {loc, msg, type}. */
export const errorBodySchema = z
	.object({
		detail: z
			.union([
				z.string(),
				z.array(
					z
						.object({
							loc: z.array(z.union([z.string(), z.number()])).optional(),
							msg: z.string().optional(),
							type: z.string().optional(),
						})
						.passthrough(),
				),
				z.record(z.string(), z.unknown()),
			])
			.optional(),
	})
	.passthrough();

/** Dreamlook deletes trained checkpoints this long after training unless the plan keeps them (C). */
export const CHECKPOINT_DEFAULT_RETENTION_HOURS = 48;

/**
 * When Dreamlook deletes a job's checkpoints by default (ISO, UTC): 48 h after the training ended
 * (`state_running_end`, else `state_updated` of a finished job). A plan that keeps checkpoints longer
 * is not visible in the API; undefined when the job has no readable end time.
 */
export function checkpointDefaultDeletionAt(job: {
	state?: string;
	state_running_end?: string | null;
	state_updated?: string | null;
}): string | undefined {
	const end = timestampMicros(job.state_running_end) || (job.state === 'success' ? timestampMicros(job.state_updated) : Number.NaN);
	if (!Number.isFinite(end)) return undefined;
	return new Date(Math.floor(end / 1000) + CHECKPOINT_DEFAULT_RETENTION_HOURS * 3600_000).toISOString();
}

/**
 * API timestamps carry microseconds and no time zone (UTC assumed). Returns microseconds since
 * the epoch so that equal and near-equal timestamps compare exactly; NaN when unreadable.
 */
export function timestampMicros(value: string | null | undefined): number {
	if (!value) return Number.NaN;
	const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(
		value.trim().replace(' ', 'T'),
	);
	if (!match) return Number.NaN;
	const [, seconds, fraction = '', zone = 'Z'] = match;
	const millis = Date.parse(`${seconds}${zone}`);
	if (Number.isNaN(millis)) return Number.NaN;
	return millis * 1000 + Number(fraction.padEnd(6, '0').slice(0, 6));
}
