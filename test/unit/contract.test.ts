import {
	checkpointDefaultDeletionAt,
	jobPath,
	jobSchema,
	jobTypeOfApiName,
	jobTypeOfId,
	listQuery,
	readListPage,
	timestampMicros,
} from '../../nodes/Dreamlook/api/contract';

describe('job schema', () => {
	it('keeps unknown fields and unknown states', () => {
		const parsed = jobSchema.parse({ job_id: 'ig_1', state: 'paused_for_review', brand_new_field: { a: 1 } });
		expect(parsed.state).toBe('paused_for_review');
		expect((parsed as Record<string, unknown>).brand_new_field).toEqual({ a: 1 });
	});

	it('accepts nulls where the API leaves fields empty', () => {
		const parsed = jobSchema.parse({
			job_id: 'ig_1',
			state: 'queued',
			state_running_start: null,
			percentage_done: null,
			image_gen_results: null,
			dreambooth_result: null,
		});
		expect(parsed.image_gen_results).toBeNull();
	});

	it('rejects a body without job_id or state', () => {
		expect(jobSchema.safeParse({ state: 'queued' }).success).toBe(false);
		expect(jobSchema.safeParse({ job_id: 'ig_1' }).success).toBe(false);
	});
});

describe('job types and paths', () => {
	it('maps id prefixes to types, longest prefix first', () => {
		expect(jobTypeOfId('ig_abc')).toBe('imageGen');
		expect(jobTypeOfId('db_abc')).toBe('dreambooth');
		expect(jobTypeOfId('dbig_abc')).toBe('dreamboothImageGen');
		expect(jobTypeOfId('zz_abc')).toBeUndefined();
	});

	it('uses the hyphenated image segment and offers the underscore one as alternate', () => {
		expect(jobPath('imageGen', 'ig_1')).toBe('/jobs/image-gen/ig_1');
		expect(jobPath('imageGen', 'ig_1', true)).toBe('/jobs/image_gen/ig_1');
		expect(jobPath('dreambooth', 'db_1', true)).toBe('/jobs/dreambooth/db_1');
		expect(jobTypeOfApiName('image-gen')).toBe('imageGen');
		expect(jobTypeOfApiName('image_gen')).toBe('imageGen');
	});

	it('builds the list query with filters and order', () => {
		expect(listQuery({ jobType: 'dreambooth', state: 'success', limit: 10, offset: 20, newestUpdatedFirst: true })).toEqual({
			limit: 10,
			offset: 20,
			job_type: 'dreambooth',
			state: 'success',
			order_by: 'state_updated',
			order: 'desc',
		});
	});
});

describe('list bodies', () => {
	it('reads a bare array, {jobs}, {results} and the total', () => {
		expect(readListPage([{ job_id: 'a' }])?.jobs).toHaveLength(1);
		expect(readListPage({ jobs: [{}, {}], total: 7 })).toEqual({ jobs: [{}, {}], total: 7 });
		expect(readListPage({ results: [{}] })?.jobs).toHaveLength(1);
	});

	it('gives undefined when no job array is present', () => {
		expect(readListPage({ detail: 'nope' })).toBeUndefined();
		expect(readListPage('garbage')).toBeUndefined();
	});
});

describe('timestamps', () => {
	it('reads microseconds without a zone as UTC and orders them exactly', () => {
		const a = timestampMicros('2026-11-25T21:42:26.123456');
		const b = timestampMicros('2026-11-25T21:42:26.123457');
		expect(b - a).toBe(1);
		expect(a).toBe(Date.parse('2026-11-25T21:42:26.123Z') * 1000 + 456);
	});

	it('accepts explicit zones and rejects garbage', () => {
		expect(timestampMicros('2026-11-25T21:42:26Z')).toBe(timestampMicros('2026-11-25T21:42:26.000000'));
		expect(timestampMicros('2026-11-25T22:42:26+01:00')).toBe(timestampMicros('2026-11-25T21:42:26'));
		expect(Number.isNaN(timestampMicros('yesterday'))).toBe(true);
		expect(Number.isNaN(timestampMicros(null))).toBe(true);
	});
});

describe('checkpoint deletion by default', () => {
	it('is 48 h after the training ended, read as UTC when the time has no zone', () => {
		expect(checkpointDefaultDeletionAt({ state: 'success', state_running_end: '2026-11-25T21:42:26.123456' })).toBe('2026-11-27T21:42:26.123Z');
		expect(checkpointDefaultDeletionAt({ state: 'success', state_running_end: '2026-11-25T22:42:26+01:00' })).toBe('2026-11-27T21:42:26.000Z');
	});
	it('falls back to state_updated of a finished job, and says nothing when no end time is readable', () => {
		expect(checkpointDefaultDeletionAt({ state: 'success', state_running_end: null, state_updated: '2026-11-25T21:42:26' })).toBe('2026-11-27T21:42:26.000Z');
		expect(checkpointDefaultDeletionAt({ state: 'running', state_updated: '2026-11-25T21:42:26' })).toBeUndefined();
		expect(checkpointDefaultDeletionAt({ state: 'success', state_running_end: 'soon' })).toBeUndefined();
	});
});
