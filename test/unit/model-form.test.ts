import type { INodeProperties } from 'n8n-workflow';

import { description as imageCreate } from '../../nodes/Dreamlook/actions/image/create.operation';
import { description as trainingCreate } from '../../nodes/Dreamlook/actions/training/create.operation';
import { BASE_MODELS, jobNoun, JOB_TYPE_KEYS, MODEL_TYPES } from '../../nodes/Dreamlook/api/contract';
import { failureText } from '../../nodes/Dreamlook/shared/output';
import { InputChecker } from '../../nodes/Dreamlook/shared/validate';
import { node } from './fixtures';

const MODELS = Object.values(MODEL_TYPES);

function additionalField(description: INodeProperties[], name: string): INodeProperties {
	const collection = description.find((property) => property.name === 'additionalFields');
	const field = (collection?.options as INodeProperties[] | undefined)?.find((option) => option.name === name);
	if (!field) throw new Error(`no additional field ${name}`);
	return field;
}

describe('fields that depend on the model type', () => {
	it('Base Model and Scheduler default to "the model type\'s default" (empty), listed first', () => {
		for (const description of [imageCreate, trainingCreate]) {
			const baseModel = additionalField(description, 'baseModel');
			expect(baseModel.default).toBe('');
			expect((baseModel.options as Array<{ value: string }>)[0].value).toBe('');
		}
		const scheduler = additionalField(imageCreate, 'schedulerType');
		expect(scheduler.default).toBe('');
		expect((scheduler.options as Array<{ value: string }>)[0].value).toBe('');
	});

	it('shows a literal default only where every model type has that same default', () => {
		for (const model of MODELS) {
			expect(additionalField(imageCreate, 'numInferenceSteps').default).toBe(model.imageSteps);
			expect(additionalField(imageCreate, 'guidanceScale').default).toBe(model.guidanceScale);
		}
		// Training steps and learning rate differ per model type: 0 stands for the model type's default.
		expect(new Set(MODELS.map((model) => model.training.steps)).size).toBe(MODELS.length);
		expect(additionalField(trainingCreate, 'steps').default).toBe(0);
		expect(additionalField(trainingCreate, 'learningRate').default).toBe(0);
		// The text-encoder rates exist for SDXL only: their defaults are SDXL's.
		expect(additionalField(trainingCreate, 'learningRateTe1').default).toBe(MODEL_TYPES.sdxl.training.learningRateTe1);
		expect(additionalField(trainingCreate, 'learningRateTe2').default).toBe(MODEL_TYPES.sdxl.training.learningRateTe2);
	});

	it('names every model type\'s default in the field descriptions', () => {
		for (const model of MODELS) {
			expect(additionalField(imageCreate, 'schedulerType').description).toContain(model.defaultScheduler);
			expect(additionalField(imageCreate, 'baseModel').description).toContain(model.defaultBaseModel);
			expect(additionalField(trainingCreate, 'steps').description).toContain(String(model.training.steps));
			expect(additionalField(trainingCreate, 'learningRate').description).toContain(String(model.training.learningRate));
		}
	});
});

describe('InputChecker: model type, base model, scheduler', () => {
	const check = new InputChecker(node, 0);

	it('resolves empty values to the model type\'s defaults', () => {
		for (const model of MODELS) {
			expect(check.baseModel('', model)).toBe(model.defaultBaseModel);
			expect(check.baseModel(undefined, model)).toBe(model.defaultBaseModel);
			expect(check.scheduler('', model)).toBe(model.defaultScheduler);
		}
	});

	it('refuses a base model of the other model type, naming the field', () => {
		for (const model of MODELS) {
			for (const base of BASE_MODELS.filter((candidate) => candidate.modelType !== model.value)) {
				expect(() => check.baseModel(base.value, model)).toThrow(new RegExp(`^Base Model: ${base.label} is a .* model, but Model Type is ${model.label}$`));
			}
			for (const base of BASE_MODELS.filter((candidate) => candidate.modelType === model.value)) {
				expect(check.baseModel(base.value, model)).toBe(base.value);
			}
		}
	});

	it('passes an unlisted base model name through, refuses one that is not a name', () => {
		expect(check.baseModel('some-new-model-v2', MODEL_TYPES.sdxl)).toBe('some-new-model-v2');
		expect(() => check.baseModel('../etc', MODEL_TYPES.sdxl)).toThrow(/^Base Model: "..\/etc" is not a model name/);
	});

	it('refuses an unknown model type or scheduler', () => {
		expect(check.modelType(' sdxl-v1 ')).toBe(MODEL_TYPES.sdxl);
		expect(() => check.modelType('sdxl')).toThrow(/^Model Type: must be "sd-v1" \(Stable Diffusion 1.5\) or "sdxl-v1" \(Stable Diffusion XL\) \(got "sdxl"\)/);
		expect(() => check.scheduler('warp', MODEL_TYPES.sd15)).toThrow(/^Scheduler: "warp" is not a scheduler/);
	});
});

describe('messages', () => {
	it('put the right article before each job noun', () => {
		expect(JOB_TYPE_KEYS.map((type) => jobNoun(type, true))).toEqual([
			'an image generation job',
			'a DreamBooth training job',
			'a train-and-generate job',
		]);
		expect(() => new InputChecker(node, 0).jobId('db_abc12345', 'imageGen')).toThrow(
			'Job ID: db_abc12345 is a DreamBooth training job, not an image generation job',
		);
	});

	it('read failure_reason_data as text in any of its shapes', () => {
		const failed = (data: unknown) => ({ job_id: 'ig_1', state: 'failure', failure_reason_data: data });
		expect(failureText(failed('GPU ran out of memory'))).toBe('GPU ran out of memory');
		expect(failureText(failed({ detail: 'NSFW content detected' }))).toBe('NSFW content detected');
		expect(failureText(failed({ detail: [{ loc: ['body', 'prompt'], msg: 'too long' }, { msg: 'bad seed' }] }))).toBe('too long; bad seed');
		expect(failureText(failed({ message: '<b>Image 3</b> has no face' }))).toBe('Image 3 has no face');
		expect(failureText(failed({ code: 17 }))).toBe('{"code":17}');
		expect(failureText(failed(null))).toBeUndefined();
		expect(failureText(failed({}))).toBeUndefined();
		expect(failureText(failed('x'.repeat(2000)))).toHaveLength(500);
	});
});
