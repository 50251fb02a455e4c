import { NodeApiError } from 'n8n-workflow';

import {
	describeDetail,
	isDeadlineError,
	isOutcomeUnknownError,
	mayExistError,
	toNodeApiError,
} from '../../nodes/Dreamlook/transport/errors';
import { dreamlookRequest, redirectHostOf } from '../../nodes/Dreamlook/transport/request';
import { redactDeep, redactText } from '../../nodes/Dreamlook/transport/redact';
import {
	attemptTimeoutMs,
	backoffMs,
	isNetworkCode,
	isRetryableNetworkError,
	isRetryableStatus,
	isTimeoutCode,
	parseRetryAfterMs,
	sleepFits,
	wasNeverSent,
} from '../../nodes/Dreamlook/transport/retry';
import { KEY, node } from './fixtures';


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

	it('a deadline bounds each attempt and every wait', () => {
		const now = 1_000_000;
		expect(attemptTimeoutMs(undefined, now, 60000)).toBe(60000);
		expect(attemptTimeoutMs(now + 2000, now, 60000)).toBe(2000);
		expect(attemptTimeoutMs(now + 120000, now, 60000)).toBe(60000);
		expect(attemptTimeoutMs(now - 5, now, 60000)).toBe(0);
		expect(sleepFits(undefined, now, 30000)).toBe(true);
		expect(sleepFits(now + 2000, now, 30000)).toBe(false);
		expect(sleepFits(now + 2000, now, 1999)).toBe(true);
		// A wait that ends exactly at the deadline leaves no time for the attempt it waits for.
		expect(sleepFits(now + 2000, now, 2000)).toBe(false);
	});

	it('tells network and timeout codes from other errors', () => {
		for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ETIMEDOUT', 'CERT_HAS_EXPIRED']) expect(isNetworkCode(code)).toBe(true);
		for (const code of [undefined, 'unknown', 'ERR_INVALID_URL', 'ERR_FR_TOO_MANY_REDIRECTS']) expect(isNetworkCode(code)).toBe(false);
		expect(isTimeoutCode('ECONNABORTED')).toBe(true);
		expect(isTimeoutCode('ECONNRESET')).toBe(false);
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
		const error = toNodeApiError(node, { ...base, method: 'POST', action: 'create an image job', networkCode: 'ECONNRESET', outcomeUnknown: true });
		expect(error.message).toBe('No answer from Dreamlook while trying to create an image job: the job may have been created');
		expect(error.description).toMatch(/^Check Job → Get Many or the dreamlook\.ai dashboard before running this item again/);
		expect(error.description).toMatch(/not repeated automatically.*ECONNRESET/);
		expect(isOutcomeUnknownError(error)).toBe(true);
	});

	it.each([
		[{ status: 502, body: '<html>Bad Gateway</html>' }, /^Dreamlook had a server error \(HTTP 502\) while trying to create an image job: the job may have been created$/],
		[{ status: 408 }, /^Dreamlook timed out \(HTTP 408\) .*: the job may have been created$/],
		[{ networkCode: 'ECONNABORTED', timeoutMs: 60000 }, /^No answer from Dreamlook within 60 s .*: the job may have been created$/],
		[{ status: 200, body: 'unreadable response body' }, /^Dreamlook's answer \(HTTP 200\) could not be read .*: the job may have been created$/],
	])('an ambiguous create (%o) never says "try again later"', (details, message) => {
		const error = toNodeApiError(node, { ...base, method: 'POST', path: '/image_gen', action: 'create an image job', outcomeUnknown: true, ...details });
		expect(error.message).toMatch(message);
		expect(error.description).toMatch(/^Check Job → Get Many or the dreamlook\.ai dashboard before running this item again/);
		expect(error.description).not.toMatch(/try again later/i);
	});

	it('mayExistError: the shared "job may exist" error for callers', () => {
		const error = mayExistError(node, {
			action: 'create an image job',
			itemIndex: 3,
			reason: "Dreamlook's answer had no job ID",
			body: { echoed: `Bearer ${KEY}` },
			apiKey: KEY,
		});
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toBe("Dreamlook's answer had no job ID while trying to create an image job: the job may have been created");
		expect(error.description).toMatch(/^Check Job → Get Many or the dreamlook\.ai dashboard before running this item again/);
		expect(error.context.itemIndex).toBe(3);
		expect(isOutcomeUnknownError(error)).toBe(true);
		expect(JSON.stringify({ r: error.errorResponse, j: error.toJSON?.() })).not.toContain(KEY);
	});

	it('a redirect names the target host only and says it was not followed', () => {
		const error = toNodeApiError(node, {
			...base,
			method: 'POST',
			path: '/image_gen',
			action: 'create an image job',
			status: 307,
			redirectHost: 'other.example:8443',
			body: { detail: 'Moved to https://user:pw@other.example:8443/v2/image_gen?token=abc' },
		});
		expect(error.message).toBe("Dreamlook's API answered with a redirect to other.example:8443; the request was not followed");
		expect(error.description).toMatch(/final address \(https:\/\/api\.dreamlook\.ai/);
		expect(error.description).toMatch(/nothing was sent to other\.example:8443/);
		const everything = JSON.stringify({ m: error.message, d: error.description, r: error.errorResponse });
		expect(everything).not.toMatch(/token=abc|\/v2\/|pw@/);
	});

	it('redirectHostOf keeps host and port only, relative locations resolve to the API host', () => {
		expect(redirectHostOf('https://u:p@other.example:8443/x?y=1', 'https://api.dreamlook.ai/image_gen')).toBe('other.example:8443');
		expect(redirectHostOf('/v2/image_gen', 'https://api.dreamlook.ai/image_gen')).toBe('api.dreamlook.ai');
		expect(redirectHostOf(undefined, 'https://api.dreamlook.ai/')).toBeUndefined();
	});

	it('"Could not reach" only for real network codes; the Base URL is shown without userinfo', () => {
		const baseUrl = 'https://proxyuser:s3cret-pass@proxy.example:8080';
		const reach = toNodeApiError(node, { ...base, networkCode: 'ECONNREFUSED', baseUrl });
		expect(reach.message).toMatch(/^Could not reach Dreamlook to get job ig_1/);
		expect(reach.description).toContain('https://proxy.example:8080');
		const odd = toNodeApiError(node, { ...base, networkCode: 'ERR_SOMETHING', errorMessage: `failed for ${baseUrl}/jobs`, baseUrl });
		expect(odd.message).not.toMatch(/Could not reach/);
		expect(odd.message).toMatch(/^The request to get job ig_1 failed/);
		const invalid = toNodeApiError(node, { ...base, networkCode: 'ERR_INVALID_URL', baseUrl });
		expect(invalid.message).toMatch(/Base URL .* not a usable URL/);
		for (const error of [reach, odd, invalid]) {
			const everything = JSON.stringify({ m: error.message, d: error.description, r: error.errorResponse });
			expect(everything).not.toContain('s3cret-pass');
			expect(everything).not.toContain('proxyuser');
		}
	});

	it('a deadline error says the Timeout was reached and is recognisable', () => {
		const error = toNodeApiError(node, { ...base, status: 503, deadlineReached: true });
		expect(error.message).toMatch(/^Dreamlook had a server error \(HTTP 503\).*; the Timeout was reached$/);
		expect(isDeadlineError(error)).toBe(true);
		expect(isDeadlineError(toNodeApiError(node, { ...base, status: 503 }))).toBe(false);
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

describe('credential read once per run', () => {
	it('reads the stored credential once and hands a copy of it to every httpRequestWithAuthentication', async () => {
		const stored = { apiKey: ` ${KEY} `, baseUrl: 'https://api.example.test/' };
		const getCredentials = jest.fn(async () => stored);
		const calls: Array<{ type: string; url: unknown; credential: { type: string; id: string; data: Record<string, unknown> } }> = [];
		const ctx = {
			getCredentials,
			getNode: () => ({ ...node, credentials: { dreamlookApi: { id: 'cred-1', name: 'Dreamlook account' } } }),
			helpers: {
				httpRequestWithAuthentication: async (type: string, options: { url: unknown }, extra: { credentialsDecrypted: { type: string; id: string; data: Record<string, unknown> } }) => {
					calls.push({ type, url: options.url, credential: extra?.credentialsDecrypted });
					// An authentication that writes into the credential must not reach the next request.
					if (extra?.credentialsDecrypted?.data) extra.credentialsDecrypted.data.token = 'from pre-authentication';
					return { statusCode: 200, headers: {}, body: { jobs: [] } };
				},
			},
		};
		for (let k = 0; k < 3; k++) await dreamlookRequest(ctx as never, { method: 'GET', path: '/jobs', action: 'list jobs' });
		expect(getCredentials).toHaveBeenCalledTimes(1);
		expect(calls).toHaveLength(3);
		for (const call of calls) {
			expect(call.type).toBe('dreamlookApi');
			expect(call.url).toBe('https://api.example.test/jobs');
			expect(call.credential).toMatchObject({ id: 'cred-1', type: 'dreamlookApi' });
			expect(call.credential.data.apiKey).toBe(stored.apiKey);
		}
		expect(stored).not.toHaveProperty('token');
		expect(new Set(calls.map((call) => call.credential.data)).size).toBe(3);
	});
});
