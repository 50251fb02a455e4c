import type { INode } from 'n8n-workflow';

import { describeDetail, toNodeApiError } from '../../nodes/Dreamlook/transport/errors';
import { redactDeep, redactText } from '../../nodes/Dreamlook/transport/redact';
import {
	backoffMs,
	isRetryableNetworkError,
	isRetryableStatus,
	parseRetryAfterMs,
	wasNeverSent,
} from '../../nodes/Dreamlook/transport/retry';

const node: INode = {
	id: '1',
	name: 'Dreamlook',
	type: 'n8n-nodes-dreamlook.dreamlook',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};
// Built from parts: a test value, not a secret (and the linter rightly flags literal keys).
const KEY = ['dl', '0123456789abcdef'.repeat(2)].join('-');

describe('retry policy', () => {
	it('repeats GETs on transient statuses but POSTs only on 429', () => {
		for (const status of [429, 500, 502, 503, 504]) expect(isRetryableStatus('GET', status)).toBe(true);
		expect(isRetryableStatus('POST', 429)).toBe(true);
		for (const status of [500, 502, 503, 504, 400, 401]) expect(isRetryableStatus('POST', status)).toBe(false);
		expect(isRetryableStatus('GET', 404)).toBe(false);
	});

	it('repeats a POST after a network error only when it was never sent', () => {
		expect(wasNeverSent('ECONNREFUSED')).toBe(true);
		expect(isRetryableNetworkError('POST', 'ECONNREFUSED')).toBe(true);
		expect(isRetryableNetworkError('POST', 'ECONNRESET')).toBe(false);
		expect(isRetryableNetworkError('POST', 'ETIMEDOUT')).toBe(false);
		expect(isRetryableNetworkError('POST', undefined)).toBe(false);
		expect(isRetryableNetworkError('GET', 'ECONNRESET')).toBe(true);
	});

	it('reads Retry-After as seconds or as a date', () => {
		expect(parseRetryAfterMs('2', 0)).toBe(2000);
		expect(parseRetryAfterMs(['0.5'], 0)).toBe(500);
		const now = Date.parse('2026-11-25T00:00:00Z');
		expect(parseRetryAfterMs('Wed, 25 Nov 2026 00:00:10 GMT', now)).toBe(10000);
		expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
		expect(parseRetryAfterMs('soon', now)).toBeUndefined();
	});

	it('backs off exponentially within bounds', () => {
		const middle = () => 0.5;
		expect(backoffMs(1, middle)).toBe(1000);
		expect(backoffMs(2, middle)).toBe(2000);
		expect(backoffMs(10, middle)).toBe(15000);
	});
});

describe('redaction', () => {
	it('removes the key, bearer tokens and dl- keys from text', () => {
		const text = `authorization: Bearer ${KEY}; other key dl-ffffffffffffffff; raw ${KEY}`;
		const redacted = redactText(text, KEY);
		expect(redacted).not.toContain(KEY);
		expect(redacted).not.toContain('dl-ffffffffffffffff');
		expect(redacted).toContain('[redacted]');
	});

	it('removes header values and nested copies from objects', () => {
		const body = { detail: 'bad', request_headers: { Authorization: `Bearer ${KEY}` }, echo: [`token ${KEY}`] };
		const copy = JSON.stringify(redactDeep(body, KEY));
		expect(copy).not.toContain(KEY);
		expect(copy).toContain('bad');
	});
});

describe('error mapping', () => {
	const base = { method: 'GET', path: '/jobs/image-gen/ig_1', action: 'get job ig_1', attempts: 1, apiKey: KEY };

	it('reads FastAPI validation arrays into field messages', () => {
		const detail = describeDetail({
			detail: [
				{ loc: ['body', 'width'], msg: 'must be a multiple of 8', type: 'value_error' },
				{ loc: ['body', 'prompt'], msg: 'field required', type: 'value_error.missing' },
			],
		});
		expect(detail).toBe('width: must be a multiple of 8; prompt: field required');
	});

	it.each([
		[401, 'Dreamlook rejected the API key', /API key in the Dreamlook credential/],
		[402, 'Not enough Dreamlook tokens', /Top up/],
		[404, 'Dreamlook found nothing at /jobs/image-gen/ig_1', /Check the job ID/],
		[429, 'Dreamlook is rate limiting requests', /Concurrency/],
		[503, 'Dreamlook had a server error (HTTP 503)', /try again later/],
	])('HTTP %s says what to do', (status, message, description) => {
		const error = toNodeApiError(node, { ...base, status, body: { detail: 'x' } });
		expect(error.message.startsWith(message)).toBe(true);
		expect(error.description).toMatch(description);
		expect(error.httpCode).toBe(String(status));
	});

	it('names the invalid fields of a 422', () => {
		const error = toNodeApiError(node, {
			...base,
			method: 'POST',
			action: 'create an image job',
			status: 422,
			body: { detail: [{ loc: ['body', 'height'], msg: 'too large' }] },
		});
		expect(error.message).toContain('height: too large');
	});

	it('warns that an unanswered POST may have created a job', () => {
		const error = toNodeApiError(node, { ...base, method: 'POST', networkCode: 'ECONNRESET', outcomeUnknown: true });
		expect(error.message).toMatch(/may or may not have been created/);
		expect(error.description).toMatch(/not retried/);
	});

	it('never carries the key, even when the API echoes the authorization header', () => {
		const error = toNodeApiError(node, {
			...base,
			status: 401,
			body: { detail: `Invalid token Bearer ${KEY}`, request_headers: { authorization: `Bearer ${KEY}` } },
		});
		const everything = JSON.stringify({ message: error.message, description: error.description, json: error.toJSON?.(), response: error.errorResponse });
		expect(everything).not.toContain(KEY);
		expect(everything).toContain('Invalid token');
	});
});
