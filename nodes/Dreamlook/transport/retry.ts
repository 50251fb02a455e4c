/**
 * When a failed request may be sent again. A GET is always safe to repeat. A POST creates a
 * paid job, so it is repeated only when the server provably did not act on it: a 429 (a
 * known rejection) or a connection that was never established.
 */
export const RETRY_POLICY = {
	maxAttempts: 4,
	baseDelayMs: 1000,
	maxDelayMs: 15000,
	/** A Retry-After longer than this is not waited for: the error is reported instead. */
	maxRetryAfterMs: 60000,
	/**
	 * A 429 is a known rejection (nothing was done), so it is repeated more often than other
	 * failures: many items against a concurrency limit see several in a row. Bounded by count
	 * and by the total time spent waiting on 429s for one request.
	 */
	maxRateLimitedAttempts: 12,
	maxRateLimitedWaitMs: 120000,
} as const;

const RETRYABLE_STATUS_FOR_GET = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Errors raised before any byte reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Errors after which the server may or may not have received the request. */
const TRANSIENT_NETWORK_CODES = new Set([
	'ECONNRESET',
	'ETIMEDOUT',
	'ECONNABORTED',
	'EPIPE',
	'ESOCKETTIMEDOUT',
	'UND_ERR_SOCKET',
	'ERR_BAD_RESPONSE',
]);

/** Codes that mean the answer did not come in time (axios: ECONNABORTED "timeout of … exceeded"). */
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ECONNABORTED', 'ESOCKETTIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Codes of the network itself (DNS, TCP, TLS): only these are reported as "Could not reach Dreamlook". */
const NETWORK_CODES = new Set([
	...NOT_SENT_CODES,
	...TRANSIENT_NETWORK_CODES,
	...TIMEOUT_CODES,
	'ECONNRESET',
	'ENETDOWN',
	'EHOSTDOWN',
	'EADDRNOTAVAIL',
	'UND_ERR_CONNECT_TIMEOUT',
	'UND_ERR_CLOSED',
	'CERT_HAS_EXPIRED',
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'ERR_TLS_CERT_ALTNAME_INVALID',
	'EPROTO',
]);

export function isTimeoutCode(code: string | undefined): boolean {
	return code !== undefined && TIMEOUT_CODES.has(code);
}

export function isNetworkCode(code: string | undefined): boolean {
	return code !== undefined && NETWORK_CODES.has(code);
}

export type Method = 'GET' | 'POST';

export function isRetryableStatus(method: Method, status: number): boolean {
	if (method === 'GET') return RETRYABLE_STATUS_FOR_GET.has(status);
	return status === 429;
}

export function wasNeverSent(code: string | undefined): boolean {
	return code !== undefined && NOT_SENT_CODES.has(code);
}

export function isRetryableNetworkError(method: Method, code: string | undefined): boolean {
	if (wasNeverSent(code)) return true;
	return method === 'GET' && (code === undefined || TRANSIENT_NETWORK_CODES.has(code));
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfterMs(header: unknown, nowMs: number): number | undefined {
	const value = Array.isArray(header) ? header[0] : header;
	if (typeof value !== 'string' && typeof value !== 'number') return undefined;
	const text = String(value).trim();
	if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
	const date = Date.parse(text);
	return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** Exponential backoff with a little jitter so parallel items do not retry in lockstep. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
	const exponential = RETRY_POLICY.baseDelayMs * 2 ** (attempt - 1);
	const jitter = 0.8 + random() * 0.4;
	return Math.min(RETRY_POLICY.maxDelayMs, Math.round(exponential * jitter));
}

/**
 * How long to wait after a 429: the server's Retry-After (never less) plus a random spread, so
 * that items rejected together do not all come back at the same instant; backoff without one.
 * `spread: false` (Concurrency Auto, whose gate admits the repeats one by one, spaced, under its
 * limit) waits the Retry-After exactly.
 */
export function rateLimitWaitMs(
	retryAfterMs: number | undefined,
	rateLimitedCount: number,
	random: () => number = Math.random,
	spread = true,
): number {
	if (retryAfterMs === undefined) return backoffMs(rateLimitedCount, random);
	if (!spread) return retryAfterMs;
	return retryAfterMs + Math.round(random() * Math.max(250, retryAfterMs * 0.5));
}

/** Per-attempt timeout: at most `maxMs`, never past the deadline (epoch ms). */
export function attemptTimeoutMs(deadline: number | undefined, now: number, maxMs: number): number {
	if (deadline === undefined) return maxMs;
	return Math.max(0, Math.min(maxMs, deadline - now));
}

/** Whether a wait of `ms` from `now` ends before the deadline (epoch ms), leaving time for another attempt. */
export function sleepFits(deadline: number | undefined, now: number, ms: number): boolean {
	return deadline === undefined || now + ms < deadline;
}
