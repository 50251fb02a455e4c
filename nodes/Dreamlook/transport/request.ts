import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	IPollFunctions,
} from 'n8n-workflow';
import { NodeOperationError, sleep } from 'n8n-workflow';

import { DEFAULT_BASE_URL } from '../api/contract';
import { toNodeApiError } from './errors';
import {
	backoffMs,
	isRetryableNetworkError,
	isRetryableStatus,
	type Method,
	parseRetryAfterMs,
	rateLimitWaitMs,
	RETRY_POLICY,
	wasNeverSent,
} from './retry';

export type DreamlookContext = IExecuteFunctions | IPollFunctions | ILoadOptionsFunctions;

export const CREDENTIAL_TYPE = 'dreamlookApi';
const REQUEST_TIMEOUT_MS = 60000;

export interface DreamlookRequest {
	method: Method;
	path: string;
	/** What the request is for, in words for error messages ("create an image job"). */
	action: string;
	body?: IDataObject;
	qs?: IDataObject;
	itemIndex?: number;
	/** Fewer attempts where time is short (the trigger's poll budget). */
	maxAttempts?: number;
	/** Statuses the caller handles itself (e.g. 404 to try another path): returned, not thrown. */
	passStatuses?: number[];
}

export interface DreamlookResponse {
	status: number;
	body: unknown;
}

interface FullResponse {
	statusCode: number;
	headers: Record<string, unknown>;
	body: unknown;
}

interface Connection {
	baseUrl: string;
	apiKey: string;
}

export async function getConnection(ctx: DreamlookContext): Promise<Connection> {
	const credentials = await ctx.getCredentials(CREDENTIAL_TYPE);
	const configured = typeof credentials.baseUrl === 'string' ? credentials.baseUrl.trim() : '';
	return {
		baseUrl: (configured || DEFAULT_BASE_URL).replace(/\/+$/, ''),
		apiKey: typeof credentials.apiKey === 'string' ? credentials.apiKey : '',
	};
}

export function cancelSignalOf(ctx: DreamlookContext): AbortSignal | undefined {
	return 'getExecutionCancelSignal' in ctx ? ctx.getExecutionCancelSignal() : undefined;
}

/** The network error code hidden in an error n8n's HTTP helpers threw (it wraps axios errors). */
export function networkCodeOf(error: unknown): string | undefined {
	let current: unknown = error;
	for (let depth = 0; current && depth < 5; depth++) {
		const candidate = current as { code?: unknown; cause?: unknown; errorResponse?: unknown };
		if (typeof candidate.code === 'string' && candidate.code.length > 0) return candidate.code;
		current = candidate.cause ?? candidate.errorResponse;
	}
	return undefined;
}

function isCancelled(ctx: DreamlookContext, error: unknown): boolean {
	return cancelSignalOf(ctx)?.aborted === true || networkCodeOf(error) === 'ERR_CANCELED';
}

/** A JSON endpoint that answered text it could not parse. */
function isUnreadable(body: unknown): boolean {
	return typeof body === 'string' && body.trim().length > 0;
}

/**
 * The one door to Dreamlook's JSON API: authentication through n8n's credential, bounded
 * retries with backoff and Retry-After (see retry.ts for which requests may repeat), and
 * every failure turned into a NodeApiError that says what to do, with the key redacted.
 */
export async function dreamlookRequest(
	ctx: DreamlookContext,
	request: DreamlookRequest,
): Promise<DreamlookResponse> {
	const { baseUrl, apiKey } = await getConnection(ctx);
	const maxAttempts = request.maxAttempts ?? RETRY_POLICY.maxAttempts;
	// A caller that limits attempts (the trigger's poll budget) limits 429 retries too.
	const maxRateLimitedAttempts = request.maxAttempts ?? RETRY_POLICY.maxRateLimitedAttempts;
	const signal = cancelSignalOf(ctx);
	const options: IHttpRequestOptions = {
		method: request.method,
		url: `${baseUrl}${request.path}`,
		qs: request.qs,
		body: request.body,
		json: true,
		timeout: REQUEST_TIMEOUT_MS,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
	};
	const fail = (details: { status?: number; body?: unknown; networkCode?: string; outcomeUnknown?: boolean }, attempts: number) =>
		toNodeApiError(ctx.getNode(), {
			...details,
			method: request.method,
			path: request.path,
			action: request.action,
			attempts,
			apiKey,
			baseUrl,
			itemIndex: request.itemIndex,
		});

	// Failures other than 429 and 429 answers are bounded separately (see RETRY_POLICY).
	let failures = 0;
	let rateLimited = 0;
	let rateLimitedWaitMs = 0;
	for (let attempt = 1; ; attempt++) {
		let response: FullResponse;
		try {
			response = (await ctx.helpers.httpRequestWithAuthentication.call(
				ctx,
				CREDENTIAL_TYPE,
				{ ...options },
			)) as FullResponse;
		} catch (error) {
			if (isCancelled(ctx, error)) {
				throw new NodeOperationError(ctx.getNode(), 'The execution was stopped while talking to Dreamlook', { itemIndex: request.itemIndex });
			}
			const networkCode = networkCodeOf(error);
			failures++;
			if (failures < maxAttempts && isRetryableNetworkError(request.method, networkCode)) {
				await sleep(backoffMs(failures), signal);
				continue;
			}
			const outcomeUnknown = request.method === 'POST' && !wasNeverSent(networkCode);
			throw fail({ networkCode: networkCode ?? 'unknown', outcomeUnknown }, attempt);
		}

		const { statusCode: status, body, headers } = response;
		if (status >= 200 && status < 300) {
			if (!isUnreadable(body)) return { status, body };
			// A 2xx POST with a broken body most likely created the job: never repeat it.
			failures++;
			if (request.method === 'GET' && failures < maxAttempts) {
				await sleep(backoffMs(failures), signal);
				continue;
			}
			throw fail({ status, body: 'unreadable response body', outcomeUnknown: request.method === 'POST' }, attempt);
		}
		if (request.passStatuses?.includes(status)) return { status, body };
		const retryAfter = parseRetryAfterMs(headers?.['retry-after'], Date.now());
		const waitAllowed = retryAfter === undefined || retryAfter <= RETRY_POLICY.maxRetryAfterMs;
		if (status === 429 && isRetryableStatus(request.method, status)) {
			rateLimited++;
			const wait = rateLimitWaitMs(retryAfter, rateLimited);
			if (waitAllowed && rateLimited < maxRateLimitedAttempts && rateLimitedWaitMs + wait <= RETRY_POLICY.maxRateLimitedWaitMs) {
				rateLimitedWaitMs += wait;
				await sleep(wait, signal);
				continue;
			}
		} else if (isRetryableStatus(request.method, status)) {
			failures++;
			if (waitAllowed && failures < maxAttempts) {
				await sleep(retryAfter ?? backoffMs(failures), signal);
				continue;
			}
		}
		throw fail({ status, body }, attempt);
	}
}
