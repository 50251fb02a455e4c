import type { INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import {
	BASE_MODELS,
	baseModelOf,
	JOB_ID_PATTERN,
	jobNoun,
	type JobTypeKey,
	jobTypeOfId,
	JOB_TYPES,
	LIMITS,
	MODEL_TYPES,
	modelTypeOf,
	type ModelTypeSpec,
	SCHEDULERS,
} from '../api/contract';

/** Checks run before any request is sent: bad input must never cost a paid job. */
export class InputChecker {
	constructor(
		private readonly node: INode,
		private readonly itemIndex: number,
	) {}

	fail(field: string, problem: string, fix: string): never {
		throw new NodeOperationError(this.node, `${field}: ${problem}`, {
			itemIndex: this.itemIndex,
			description: fix,
		});
	}

	text(field: string, value: unknown, fix: string): string {
		const text = typeof value === 'string' ? value.trim() : value === undefined || value === null ? '' : String(value);
		if (!text) this.fail(field, 'is empty', fix);
		return text;
	}

	integer(field: string, value: unknown, min: number, max: number, multipleOf = 1): number {
		const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
		if (typeof number !== 'number' || !Number.isInteger(number)) {
			this.fail(field, `must be a whole number (got ${JSON.stringify(value)})`, `Enter a whole number from ${min} to ${max}.`);
		}
		if (number < min || number > max) {
			this.fail(field, `must be from ${min} to ${max} (got ${number})`, `Enter a value from ${min} to ${max}.`);
		}
		if (number % multipleOf !== 0) {
			const lower = Math.max(min, number - (number % multipleOf));
			this.fail(field, `must be a multiple of ${multipleOf} (got ${number})`, `Try ${lower} or ${lower + multipleOf}.`);
		}
		return number;
	}

	number(field: string, value: unknown, min: number, max: number): number {
		const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
		if (typeof number !== 'number' || Number.isNaN(number) || number < min || number > max) {
			this.fail(field, `must be a number from ${min} to ${max} (got ${JSON.stringify(value)})`, `Enter a number from ${min} to ${max}.`);
		}
		return number;
	}

	/**
	 * A switch that may come from an expression, read fail-closed: true, "true", 1, "1" are on;
	 * false, "false", 0, "0", "" and unset are off; anything else ("yes", "tru", 2) is an error
	 * naming the field, before any request (a money-relevant switch must never be guessed).
	 */
	boolean(field: string, value: unknown, fallback = false): boolean {
		if (value === undefined || value === null) return fallback;
		if (typeof value === 'boolean') return value;
		if (value === 1 || value === 0) return value === 1;
		if (typeof value === 'string') {
			const text = value.trim().toLowerCase();
			if (text === 'true' || text === '1') return true;
			if (text === 'false' || text === '0' || text === '') return false;
		}
		const shown = typeof value === 'string' ? `"${value.slice(0, 40)}"` : JSON.stringify(value)?.slice(0, 40) ?? String(value);
		return this.fail(field, `must be true or false (got ${shown})`, 'Use true/false, "true"/"false" or 1/0, e.g. {{ $vars.DRY_RUN === "true" }}.');
	}

	dimension(field: string, value: unknown): number {
		return this.integer(field, value, LIMITS.dimensionMin, LIMITS.dimensionMax, LIMITS.dimensionMultiple);
	}

	url(field: string, value: unknown, fix: string): string {
		const text = this.text(field, value, fix);
		let parsed: URL | undefined;
		try {
			parsed = new URL(text);
		} catch {
			parsed = undefined;
		}
		if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
			this.fail(field, `"${text.slice(0, 100)}" is not an http(s) URL`, fix);
		}
		return text;
	}

	/** The Model Type field (or an expression giving sd-v1 / sdxl-v1). */
	modelType(value: unknown): ModelTypeSpec {
		const model = modelTypeOf(typeof value === 'string' ? value.trim() : value);
		if (!model) {
			const values = Object.values(MODEL_TYPES).map((candidate) => `"${candidate.value}" (${candidate.label})`).join(' or ');
			const shown = typeof value === 'string' ? `"${value.slice(0, 40)}"` : String(JSON.stringify(value)).slice(0, 40);
			this.fail('Model Type', `must be ${values} (got ${shown})`, 'Pick a model type from the list; an expression must give sd-v1 or sdxl-v1.');
		}
		return model;
	}

	/**
	 * Base Model: empty means the model type's default; a base model the contract knows must belong to
	 * the chosen model type. Unlisted names are sent as given (Dreamlook may offer more).
	 */
	baseModel(value: unknown, model: ModelTypeSpec): string {
		const name = typeof value === 'string' ? value.trim() : value === undefined || value === null ? '' : String(value);
		if (!name) return model.defaultBaseModel;
		if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) {
			this.fail('Base Model', `"${name.slice(0, 60)}" is not a model name`, 'Pick a base model from the list, or leave the field out for the model type\'s default.');
		}
		const known = baseModelOf(name);
		if (known && known.modelType !== model.value) {
			const own = modelTypeOf(known.modelType);
			const fitting = BASE_MODELS.filter((candidate) => candidate.modelType === model.value).map((candidate) => candidate.label).join(', ');
			this.fail(
				'Base Model',
				`${known.label} is a ${own?.label ?? known.modelType} model, but Model Type is ${model.label}`,
				`Pick a ${model.label} base model (${fitting}), remove Base Model to use ${model.defaultBaseModel}, or set Model Type to ${own?.label ?? known.modelType}.`,
			);
		}
		return name;
	}

	/** Scheduler: empty means the model type's default; otherwise one of the contract's schedulers. */
	scheduler(value: unknown, model: ModelTypeSpec): string {
		const name = typeof value === 'string' ? value.trim() : value === undefined || value === null ? '' : String(value);
		if (!name) return model.defaultScheduler;
		if (!(SCHEDULERS as readonly string[]).includes(name)) {
			this.fail('Scheduler', `"${name.slice(0, 40)}" is not a scheduler Dreamlook offers`, `Use one of ${SCHEDULERS.join(', ')}, or remove Scheduler to use ${model.defaultScheduler}.`);
		}
		return name;
	}

	jobId(value: unknown, type?: JobTypeKey): string {
		const jobId = this.text('Job ID', value, 'Enter the job_id returned by a Create operation, e.g. ig_abc12345.');
		if (!JOB_ID_PATTERN.test(jobId)) {
			this.fail('Job ID', `"${jobId.slice(0, 60)}" is not a Dreamlook job ID`, 'Job IDs look like ig_abc12345 or db_abc12345, with no spaces or slashes.');
		}
		const ownType = jobTypeOfId(jobId);
		if (type && ownType && ownType !== type) {
			this.fail(
				'Job ID',
				`${jobId} is ${jobNoun(ownType, true)}, not ${jobNoun(type, true)}`,
				`Set "Job Type" to "${JOB_TYPES[ownType].label}" or to "From Job ID".`,
			);
		}
		return jobId;
	}
}

/** Splits a list given as an array, or as text with one entry per line (entries may contain commas). */
/** An option's number when it is a positive number, else the fallback (an option left empty or cleared). */
export function positiveOr(value: unknown, fallback: number): number {
	return typeof value === 'number' && value > 0 ? value : fallback;
}

export function splitLines(value: unknown): string[] {
	const entries = Array.isArray(value) ? value : String(value ?? '').split(/\r?\n/);
	return entries.map((entry) => String(entry).trim()).filter((entry) => entry.length > 0);
}

/** Splits a list given as an array, or as text separated by newlines or commas. */
export function splitList(value: unknown): string[] {
	const entries = Array.isArray(value) ? value : String(value ?? '').split(/[\n,]+/);
	return entries.map((entry) => String(entry).trim()).filter((entry) => entry.length > 0);
}
