'use strict';
// Request validation that answers like FastAPI + pydantic v1: every problem becomes
// {loc, msg, type[, ctx]} in a 422 `detail` array. Unknown fields are dropped (pydantic's
// default), missing optional fields get defaults, so `config` echoes the request "as accepted".
// Deliberately stricter than pydantic on types: "512" or 512.5 is not an integer here,
// "true" is not a boolean, so a client that sends sloppy types finds out in tests.

// Globals are read once: inside jest's vm context every global lookup (Math, Array...) is
// slow enough to make bulk seeding ten times slower.
const { isArray } = Array;
const { isFinite, isInteger } = Number;
const { entries } = Object;

const MODEL_TYPES = ['sd-v1', 'sdxl-v1'];
/** @type {Record<string, string>} */
const DEFAULT_BASE_MODEL = { 'sd-v1': 'stable-diffusion-v1-5', 'sdxl-v1': 'stable-diffusion-xl-v1-0' };
const isSdxl = (/** @type {any} */ o) => o.model_type === 'sdxl-v1';

/** @typedef {{loc: (string|number)[], msg: string, type: string, ctx?: object}} FieldError */
/**
 * @typedef {object} FieldSpec
 * @property {'str'|'int'|'float'|'bool'|'enum'|'url'|'list'|'object'|'tags'|'captions'} type
 * @property {boolean} [required]
 * @property {any} [default] value or (out, ctx) => value
 * @property {number} [minLength]
 * @property {number} [ge]
 * @property {number} [gt]
 * @property {number} [le]
 * @property {number} [multipleOf]
 * @property {string[]} [values]
 * @property {number} [minItems]
 * @property {FieldSpec} [item]
 * @property {Record<string, FieldSpec>} [schema]
 * @property {boolean} [early] default computed before the others (they depend on it)
 */

/** @type {FieldSpec} */
const callback = { type: 'url', default: null };
/** @type {FieldSpec} */
const tags = { type: 'tags', default: () => [] };
/** @type {FieldSpec} */
const dryRun = { type: 'bool', default: false };
/** @type {FieldSpec} */
const modelType = { type: 'enum', values: MODEL_TYPES, early: true, default: (/** @type {any} */ _o, /** @type {any} */ ctx) => ctx?.model_type ?? 'sd-v1' };
/** @type {FieldSpec} */
const side = { type: 'int', ge: 64, le: 2048, multipleOf: 8, default: (/** @type {any} */ o) => (isSdxl(o) ? 1024 : 512) };

/** @type {Record<string, FieldSpec>} image generation settings shared by /image_gen and /dreambooth_image_gen */
const IMAGE_SETTINGS = {
	prompt: { type: 'str', required: true, minLength: 1 },
	negative_prompt: { type: 'str', default: '' },
	num_samples: { type: 'int', ge: 1, le: 16, default: 1 },
	width: side,
	height: side,
	num_inference_steps: { type: 'int', ge: 1, le: 150, default: 30 },
	guidance_scale: { type: 'float', ge: 0, le: 30, default: 7.5 },
	scheduler_type: { type: 'str', minLength: 1, default: (/** @type {any} */ o) => (isSdxl(o) ? 'dpmpp-2m-karras' : 'dpm++') },
	seed: { type: 'int', ge: -1, le: 4294967295, default: -1 },
	enable_hrf: { type: 'bool', default: false },
	denoising_strength: { type: 'float', ge: 0, le: 1, default: null },
	model_type: modelType,
	output_format: { type: 'str', minLength: 1, default: 'png' },
};

/** @type {Record<string, FieldSpec>} */
const IMAGE_GEN = {
	...IMAGE_SETTINGS,
	base_model: { type: 'str', minLength: 1, default: (/** @type {any} */ o) => (o.checkpoint_id ? null : DEFAULT_BASE_MODEL[o.model_type]) },
	checkpoint_id: { type: 'str', minLength: 1, default: null },
	callback,
	tags,
	dry_run: dryRun,
	validate_token_cost: { type: 'int', ge: 0, default: null },
};

/** @type {Record<string, FieldSpec>} training settings shared by /dreambooth and /dreambooth_image_gen */
const TRAINING = {
	image_urls: { type: 'list', required: true, minItems: 1, item: { type: 'url' } },
	instance_prompt: { type: 'str', required: true, minLength: 1 },
	steps: { type: 'int', ge: 1, le: 10000, default: (/** @type {any} */ o) => (isSdxl(o) ? 1500 : 1200) },
	learning_rate: { type: 'float', gt: 0, le: 1, default: (/** @type {any} */ o) => (isSdxl(o) ? 1e-5 : 1e-6) },
	learning_rate_te1: { type: 'float', ge: 0, le: 1, default: (/** @type {any} */ o) => (isSdxl(o) ? 3e-6 : null) },
	// The SDXL docs say the second text encoder rate must be 0.
	learning_rate_te2: { type: 'float', ge: 0, le: 0, default: 0 },
	base_model: { type: 'str', minLength: 1, default: (/** @type {any} */ o) => DEFAULT_BASE_MODEL[o.model_type] },
	model_type: modelType,
	saved_model_format: { type: 'enum', values: ['original', 'diffusers'], default: 'original' },
	saved_model_weights_format: { type: 'enum', values: ['safetensors', 'ckpt'], default: 'safetensors' },
	crop_method: { type: 'enum', values: ['center', 'face'], default: 'center' },
	extract_lora: { type: 'enum', values: ['disabled', 'original'], default: 'disabled' },
	enable_offset_noise: { type: 'bool', default: false },
	image_captions: { type: 'captions', default: null },
};

/** @type {Record<string, FieldSpec>} */
const DREAMBOOTH = { ...TRAINING, callback, tags, dry_run: dryRun, validate_token_cost: { type: 'int', ge: 0, default: null } };

/** @type {Record<string, FieldSpec>} */
const DREAMBOOTH_IMAGE_GEN = {
	dreambooth: { type: 'object', required: true, schema: TRAINING },
	image_gen: { type: 'list', required: true, minItems: 1, item: { type: 'object', schema: IMAGE_SETTINGS } },
	tags,
	callback,
	dry_run: dryRun,
	validate_token_cost: { type: 'int', ge: 0, default: null },
};

const typeName = (/** @type {any} */ v) => (v === null ? 'null' : isArray(v) ? 'array' : typeof v);

/**
 * Validate one value; push errors; return the accepted value.
 * @param {any} v @param {FieldSpec} spec @param {(string|number)[]} loc @param {FieldError[]} errors @param {any} ctx
 * @returns {any}
 */
function checkValue(v, spec, loc, errors, ctx) {
	/** @param {string} msg @param {string} type @param {object} [c] @returns {undefined} */
	const err = (msg, type, c) => {
		errors.push(c ? { loc, msg, type, ctx: c } : { loc, msg, type });
		return undefined;
	};
	const n0 = errors.length;
	switch (spec.type) {
		case 'str':
		case 'url':
			if (typeof v !== 'string') return err('str type expected', 'type_error.str');
			if (spec.minLength && v.length < spec.minLength)
				return err(`ensure this value has at least ${spec.minLength} characters`, 'value_error.any_str.min_length', { limit_value: spec.minLength });
			if (spec.type === 'url') {
				let u;
				try {
					u = new URL(v);
				} catch {
					return err('invalid or missing URL scheme', 'value_error.url.scheme');
				}
				if (u.protocol !== 'http:' && u.protocol !== 'https:')
					return err('URL scheme not permitted', 'value_error.url.scheme', { allowed_schemes: ['http', 'https'] });
				if (!u.hostname) return err('URL host invalid', 'value_error.url.host');
			}
			return v;
		case 'int':
		case 'float':
			if (typeof v !== 'number' || !isFinite(v) || (spec.type === 'int' && !isInteger(v)))
				return err(spec.type === 'int' ? 'value is not a valid integer' : 'value is not a valid float', `type_error.${spec.type === 'int' ? 'integer' : 'float'}`);
			if (spec.gt !== undefined && !(v > spec.gt))
				err(`ensure this value is greater than ${spec.gt}`, 'value_error.number.not_gt', { limit_value: spec.gt });
			if (spec.ge !== undefined && v < spec.ge)
				err(`ensure this value is greater than or equal to ${spec.ge}`, 'value_error.number.not_ge', { limit_value: spec.ge });
			if (spec.le !== undefined && v > spec.le)
				err(`ensure this value is less than or equal to ${spec.le}`, 'value_error.number.not_le', { limit_value: spec.le });
			if (spec.multipleOf && v % spec.multipleOf !== 0)
				err(`ensure this value is a multiple of ${spec.multipleOf}`, 'value_error.number.not_multiple', { multiple_of: spec.multipleOf });
			return errors.length === n0 ? v : undefined;
		case 'bool':
			if (typeof v !== 'boolean') return err('value could not be parsed to a boolean', 'type_error.bool');
			return v;
		case 'enum':
			if (!spec.values?.includes(v))
				return err(`value is not a valid enumeration member; permitted: ${spec.values?.map((x) => `'${x}'`).join(', ')}`, 'type_error.enum', { enum_values: spec.values });
			return v;
		case 'list': {
			if (!isArray(v)) return err('value is not a valid list', 'type_error.list');
			if (spec.minItems && v.length < spec.minItems)
				return err(`ensure this value has at least ${spec.minItems} items`, 'value_error.list.min_items', { limit_value: spec.minItems });
			const item = /** @type {FieldSpec} */ (spec.item);
			return v.map((x, i) => checkValue(x, item, [...loc, i], errors, ctx));
		}
		case 'object':
			if (typeName(v) !== 'object') return err('value is not a valid dict', 'type_error.dict');
			return validateObject(v, /** @type {Record<string, FieldSpec>} */ (spec.schema), loc, errors, ctx);
		case 'tags':
			// Shape is a guess (see dreamlook-api.md): a list of {key, value} strings.
			if (!isArray(v)) return err('value is not a valid list', 'type_error.list');
			return v.map((t, i) => {
				if (typeName(t) !== 'object') return void errors.push({ loc: [...loc, i], msg: 'value is not a valid dict', type: 'type_error.dict' });
				const key = checkValue(t.key, { type: 'str', minLength: 1 }, [...loc, i, 'key'], errors, ctx);
				const value = checkValue(t.value, { type: 'str' }, [...loc, i, 'value'], errors, ctx);
				return { key, value };
			});
		case 'captions':
			// file name → caption or list of captions
			if (typeName(v) !== 'object') return err('value is not a valid dict', 'type_error.dict');
			for (const [k, c] of entries(v)) {
				const ok = typeof c === 'string' || (isArray(c) && c.every((x) => typeof x === 'string'));
				if (!ok) errors.push({ loc: [...loc, k], msg: 'str type expected', type: 'type_error.str' });
			}
			return v;
		default:
			throw new Error(`validate: unknown spec type ${spec.type}`);
	}
}

const fieldCache = new WeakMap();
/** @param {Record<string, FieldSpec>} schema @returns {[string, FieldSpec][]} */
function fieldsOf(schema) {
	let f = fieldCache.get(schema);
	if (!f) fieldCache.set(schema, (f = entries(schema)));
	return f;
}

/**
 * @param {Record<string, any>} body @param {Record<string, FieldSpec>} schema
 * @param {(string|number)[]} loc @param {FieldError[]} errors @param {any} [ctx] values inherited from a parent (model_type)
 */
function validateObject(body, schema, loc, errors, ctx) {
	/** @type {Record<string, any>} */
	const out = {};
	/** @type {string[]} */
	const defaulted = [];
	for (const [name, spec] of fieldsOf(schema)) {
		const v = body[name];
		if (v === undefined || v === null) {
			if (spec.required) {
				errors.push(v === null
					? { loc: [...loc, name], msg: 'none is not an allowed value', type: 'type_error.none.not_allowed' }
					: { loc: [...loc, name], msg: 'field required', type: 'value_error.missing' });
			}
			out[name] = undefined;
			defaulted.push(name);
		} else {
			out[name] = checkValue(v, spec, [...loc, name], errors, ctx);
		}
	}
	// Defaults last: some depend on other fields (model_type decides width, base_model...).
	for (const early of [true, false]) {
		for (const name of defaulted) {
			if (!schema[name].early === early) continue;
			const d = schema[name].default;
			out[name] = typeof d === 'function' ? d(out, ctx) : d;
		}
	}
	return out;
}

/**
 * @param {'image-gen'|'dreambooth'|'dreambooth_image_gen'} jobType
 * @param {any} body parsed JSON
 * @returns {{ok: true, config: Record<string, any>, dryRun: boolean} | {ok: false, errors: FieldError[]}}
 */
function validateCreate(jobType, body) {
	/** @type {FieldError[]} */
	const errors = [];
	if (typeName(body) !== 'object') return { ok: false, errors: [{ loc: ['body'], msg: 'value is not a valid dict', type: 'type_error.dict' }] };
	let config;
	if (jobType === 'image-gen') config = validateObject(body, IMAGE_GEN, ['body'], errors);
	else if (jobType === 'dreambooth') config = validateObject(body, DREAMBOOTH, ['body'], errors);
	else {
		// Image settings inherit the trained model's type unless they set their own.
		const mt = body.dreambooth?.model_type;
		config = validateObject(body, DREAMBOOTH_IMAGE_GEN, ['body'], errors, { model_type: MODEL_TYPES.includes(mt) ? mt : 'sd-v1' });
	}
	if (errors.length) return { ok: false, errors };
	const dryRun = config.dry_run === true;
	delete config.dry_run;
	return { ok: true, config, dryRun };
}

/** Token cost of a job (the real prices are unknown; these keep arithmetic easy in tests). */
function tokenCost(/** @type {string} */ jobType, /** @type {any} */ config) {
	if (jobType === 'image-gen') return config.num_samples;
	if (jobType === 'dreambooth') return 10;
	return 10 + config.image_gen.reduce((/** @type {number} */ s, /** @type {any} */ ig) => s + ig.num_samples, 0);
}

module.exports = { validateCreate, tokenCost, DEFAULT_BASE_MODEL, MODEL_TYPES };
