/**
 * Keeps the API key out of every message, description, log line and output, even when an
 * error body echoes the request's authorization header back.
 */
const BEARER_PATTERN = /(bearer\s+)[^\s"',;}]+/gi;
const DREAMLOOK_KEY_PATTERN = /\bdl-[A-Za-z0-9]{6,}\b/g;
const SECRET_HEADER_KEYS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'cookie']);
export const REDACTED = '[redacted]';

export function redactText(text: string, apiKey?: string): string {
	let result = text;
	if (apiKey && apiKey.length >= 4) result = result.split(apiKey).join(REDACTED);
	return result.replace(BEARER_PATTERN, `$1${REDACTED}`).replace(DREAMLOOK_KEY_PATTERN, REDACTED);
}

/** A deep copy of `value` with secrets removed; header-like keys lose their values outright. */
export function redactDeep(value: unknown, apiKey?: string, depth = 0): unknown {
	if (depth > 20) return REDACTED;
	if (typeof value === 'string') return redactText(value, apiKey);
	if (Array.isArray(value)) return value.map((entry) => redactDeep(entry, apiKey, depth + 1));
	if (value && typeof value === 'object') {
		const copy: Record<string, unknown> = {};
		for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
			copy[key] = SECRET_HEADER_KEYS.has(key.toLowerCase())
				? REDACTED
				: redactDeep(entry, apiKey, depth + 1);
		}
		return copy;
	}
	return value;
}
