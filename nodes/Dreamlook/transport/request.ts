import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	IPollFunctions,
	IWebhookFunctions,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { sleep } from '../shared/sleep';

import { DEFAULT_BASE_URL } from '../api/contract';
import { type FailedRequest, toNodeApiError } from './errors';
import { type GateTicket, requestGateOf } from './requestGate';
import {
	attemptTimeoutMs,
	backoffMs,
	isNetworkCode,
	isTimeoutCode,
	isRetryableNetworkError,
	isRetryableStatus,
	type Method,
	parseRetryAfterMs,
	rateLimitWaitMs,
	RETRY_POLICY,
	sleepFits,
	wasNeverSent,
} from './retry';

export type DreamlookContext = IExecuteFunctions | IPollFunctions | ILoadOptionsFunctions | IWebhookFunctions;

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
	/**
	 * Hard deadline (epoch ms, compared with Date.now()), e.g. the end of the node's Timeout. Each
	 * attempt's timeout is min(60 s, time left); no backoff, Retry-After or 429 wait that would end
	 * past it (the last error is thrown at once, saying the Timeout was reached, see
	 * isDeadlineError); once it has passed, nothing more is sent.
	 */
	deadline?: number;
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
	/** The credential as n8n decrypted it, handed back to httpRequestWithAuthentication (see credentialOptions). */
	credential: Omit<ICredentialsDecrypted, 'data'> & { data: ICredentialDataDecryptedObject };
}

/**
 * One credential read per run (per execution context): n8n loads the stored credential from its
 * database and decrypts it on every getCredentials call, a cost paid per request otherwise (also
 * inside httpRequestWithAuthentication, unless it is given the decrypted credential: see
 * credentialOptions).
 */
const connections = new WeakMap<object, Promise<Connection>>();

export async function getConnection(ctx: DreamlookContext): Promise<Connection> {
	let connection = connections.get(ctx);
	if (!connection) {
		connection = readConnection(ctx);
		connections.set(ctx, connection);
		// A failed read is not kept: the next request reads again.
		connection.catch(() => connections.delete(ctx));
	}
	return await connection;
}

async function readConnection(ctx: DreamlookContext): Promise<Connection> {
	const credentials = await ctx.getCredentials(CREDENTIAL_TYPE);
	const configured = typeof credentials.baseUrl === 'string' ? credentials.baseUrl.trim() : '';
	const selected = ctx.getNode().credentials?.[CREDENTIAL_TYPE];
	return {
		baseUrl: (configured || DEFAULT_BASE_URL).replace(/\/+$/, ''),
		// Stored keys often carry a pasted space; the header is built from the trimmed key too.
		apiKey: typeof credentials.apiKey === 'string' ? credentials.apiKey.trim() : '',
		credential: { id: selected?.id ?? '', name: selected?.name ?? '', type: CREDENTIAL_TYPE, data: credentials },
	};
}

/**
 * The run's decrypted credential for httpRequestWithAuthentication, so that n8n does not read it
 * from its database and decrypt it again for every request: in the real n8n 2.41 that read (a
 * SQLite query and a decryption) paced the node's requests to about one per 10 ms
 * (docs/decisions.md, "CPU per request"). n8n still applies the credential's own `authenticate`
 * and pre-authentication to every request; a fresh copy each time, so nothing one request's
 * authentication does can leak into the next.
 */
function credentialOptions(connection: Connection): { credentialsDecrypted: ICredentialsDecrypted } {
	return { credentialsDecrypted: { ...connection.credential, data: { ...connection.credential.data } } };
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

/** A create's answer must be a JSON object (it carries the job_id); anything else leaves the outcome unknown. */
function isReadableObject(body: unknown): boolean {
	return typeof body === 'object' && body !== null && !Array.isArray(body);
}

function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
	if (!headers) return undefined;
	for (const [key, value] of Object.entries(headers)) {
		if (key.toLowerCase() !== name) continue;
		const first = Array.isArray(value) ? value[0] : value;
		return typeof first === 'string' ? first : undefined;
	}
	return undefined;
}

/** The host[:port] a redirect points to (never its path, query or userinfo), resolved against the request URL. */
export function redirectHostOf(location: string | undefined, requestUrl: string): string | undefined {
	if (!location) return undefined;
	try {
		return new URL(location, requestUrl).host || undefined;
	} catch {
		return undefined;
	}
}

/** Statuses after which a create (POST) may have started a job: reported, never repeated. */
function createMayHaveRun(status: number): boolean {
	return status >= 500 || status === 408;
}

/**
 * The one door to Dreamlook's JSON API: authentication through n8n's credential, bounded
 * retries with backoff and Retry-After (see retry.ts for which requests may repeat), and
 * every failure turned into a NodeApiError that says what to do, with the key redacted.
 * Redirects are never followed (the key must not travel to another host).
 */
export async function dreamlookRequest(
	ctx: DreamlookContext,
	request: DreamlookRequest,
): Promise<DreamlookResponse> {
	const connection = await getConnection(ctx);
	const { baseUrl, apiKey } = connection;
	const maxAttempts = request.maxAttempts ?? RETRY_POLICY.maxAttempts;
	// A caller that limits attempts (the trigger's poll budget) limits 429 retries too.
	const maxRateLimitedAttempts = request.maxAttempts ?? RETRY_POLICY.maxRateLimitedAttempts;
	const signal = cancelSignalOf(ctx);
	const { deadline } = request;
	const url = `${baseUrl}${request.path}`;
	const options: IHttpRequestOptions = {
		method: request.method,
		url,
		qs: request.qs,
		body: request.body,
		json: true,
		timeout: REQUEST_TIMEOUT_MS,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		// Never follow a redirect: a POST would be re-sent elsewhere, and n8n re-sends the
		// Authorization header to another host unless told otherwise (both settings, for older n8n).
		disableFollowRedirect: true,
		sendCredentialsOnCrossOriginRedirect: false,
	};
	type Details = Omit<FailedRequest, 'method' | 'path' | 'action' | 'attempts' | 'apiKey' | 'baseUrl' | 'itemIndex'>;
	const fail = (details: Details, attempts: number) =>
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
	/** Sleep before the next attempt, or throw `last` at once when the wait would end past the deadline. */
	const waitOrGiveUp = async (ms: number, last: Details, attempts: number) => {
		if (!sleepFits(deadline, Date.now(), ms)) throw fail({ ...last, deadlineReached: true }, attempts);
		await sleep(ms, signal);
	};

	// Failures other than 429 and 429 answers are bounded separately (see RETRY_POLICY).
	let failures = 0;
	let rateLimited = 0;
	let rateLimitedWaitMs = 0;
	let lastFailure: Details | undefined;
	const gate = requestGateOf(ctx);
	for (let attempt = 1; ; attempt++) {
		// Concurrency "Auto": wait for a place among the requests in flight (repeats go first).
		let ticket: GateTicket | undefined;
		if (gate) {
			try {
				ticket = await gate.enter(attempt > 1, signal);
			} catch {
				throw new NodeOperationError(ctx.getNode(), 'The execution was stopped while talking to Dreamlook', { itemIndex: request.itemIndex });
			}
		}
		const timeout = attemptTimeoutMs(deadline, Date.now(), REQUEST_TIMEOUT_MS);
		if (timeout <= 0) {
			ticket?.done({});
			// Nothing is sent once the deadline has passed.
			throw fail({ ...(lastFailure ?? {}), deadlineReached: true }, Math.max(1, attempt - 1));
		}
		let response: FullResponse;
		try {
			response = (await ctx.helpers.httpRequestWithAuthentication.call(
				ctx,
				CREDENTIAL_TYPE,
				{ ...options, timeout },
				credentialOptions(connection),
			)) as FullResponse;
		} catch (error) {
			ticket?.done({});
			if (isCancelled(ctx, error)) {
				throw new NodeOperationError(ctx.getNode(), 'The execution was stopped while talking to Dreamlook', { itemIndex: request.itemIndex });
			}
			const networkCode = networkCodeOf(error);
			const clipped = deadline !== undefined && timeout < REQUEST_TIMEOUT_MS && isTimeoutCode(networkCode);
			const details: Details = {
				networkCode: networkCode ?? 'unknown',
				timeoutMs: isTimeoutCode(networkCode) ? timeout : undefined,
				errorMessage: networkCode && isNetworkCode(networkCode) ? undefined : messageOf(error),
			};
			if (request.method === 'POST' && !wasNeverSent(networkCode)) {
				throw fail({ ...details, outcomeUnknown: true, deadlineReached: clipped }, attempt);
			}
			failures++;
			if (clipped) throw fail({ ...details, deadlineReached: true }, attempt);
			if (failures < maxAttempts && isRetryableNetworkError(request.method, networkCode)) {
				lastFailure = details;
				await waitOrGiveUp(backoffMs(failures), details, attempt);
				continue;
			}
			throw fail(details, attempt);
		}

		const { statusCode: status, body, headers } = response;
		ticket?.done({ status, retryAfterMs: status === 429 ? parseRetryAfterMs(headerValue(headers, 'retry-after'), Date.now()) : undefined });
		if (status >= 200 && status < 300) {
			if (request.method === 'POST') {
				// A 2xx create without a readable object most likely created the job: never repeat it.
				if (isReadableObject(body)) return { status, body };
				throw fail({ status, body: 'unreadable response body', outcomeUnknown: true }, attempt);
			}
			if (!isUnreadable(body)) return { status, body };
			failures++;
			const details: Details = { status, body: 'unreadable response body' };
			if (failures < maxAttempts) {
				lastFailure = details;
				await waitOrGiveUp(backoffMs(failures), details, attempt);
				continue;
			}
			throw fail(details, attempt);
		}
		if (request.passStatuses?.includes(status)) return { status, body };
		if (status >= 300 && status < 400) {
			throw fail({ status, redirectHost: redirectHostOf(headerValue(headers, 'location'), url) }, attempt);
		}
		if (request.method === 'POST' && createMayHaveRun(status)) {
			throw fail({ status, body, outcomeUnknown: true }, attempt);
		}
		const details: Details = { status, body };
		const retryAfter = parseRetryAfterMs(headerValue(headers, 'retry-after'), Date.now());
		const waitAllowed = retryAfter === undefined || retryAfter <= RETRY_POLICY.maxRetryAfterMs;
		if (status === 429 && isRetryableStatus(request.method, status)) {
			rateLimited++;
			const wait = rateLimitWaitMs(retryAfter, rateLimited, Math.random, gate === undefined);
			if (waitAllowed && rateLimited < maxRateLimitedAttempts && rateLimitedWaitMs + wait <= RETRY_POLICY.maxRateLimitedWaitMs) {
				rateLimitedWaitMs += wait;
				lastFailure = details;
				await waitOrGiveUp(wait, details, attempt);
				continue;
			}
		} else if (isRetryableStatus(request.method, status)) {
			failures++;
			if (waitAllowed && failures < maxAttempts) {
				lastFailure = details;
				await waitOrGiveUp(retryAfter ?? backoffMs(failures), details, attempt);
				continue;
			}
		}
		throw fail(details, attempt);
	}
}

function messageOf(error: unknown): string | undefined {
	return error instanceof Error ? error.message : typeof error === 'string' ? error : undefined;
}
