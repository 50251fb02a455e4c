/**
 * Keeps the API key out of every message, description, log line and output, even when an
 * error body echoes the request's authorization header back: in any letter case, URL-encoded
 * (encodeURIComponent or form style with `+`), and whatever the key looks like. A Base URL's
 * `user:password@` is never shown either.
 */
const BEARER_PATTERN = /(bearer(?:\s+|%20|\+))[^\s"',;}&]+/gi;
const BASIC_PATTERN = /(basic(?:\s+|%20|\+))[A-Za-z0-9+/=%]+/gi;
const DREAMLOOK_KEY_PATTERN = /\bdl-[A-Za-z0-9]{6,}\b/gi;
/** `scheme://user:password@` in any text: the userinfo is dropped. */
const URL_USERINFO_PATTERN = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]*@/gi;
const SECRET_HEADER_KEYS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'cookie', 'set-cookie']);
export const REDACTED = '[redacted]';

/** Secrets shorter than this are not searched for: they would destroy ordinary text. */
export const MIN_SECRET_LENGTH = 4;

export type Secrets = string | undefined | ReadonlyArray<string | undefined>;

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every spelling of a secret a server might echo: as is, without `dl-`, encodeURIComponent, form-encoded. */
export function secretVariants(secret: string): string[] {
	const key = secret.trim();
	if (key.length < MIN_SECRET_LENGTH) return [];
	const variants = new Set<string>([key]);
	if (/^dl-/i.test(key) && key.length - 3 >= 8) variants.add(key.slice(3));
	for (const value of [...variants]) {
		variants.add(encodeURIComponent(value));
		variants.add(new URLSearchParams({ k: value }).toString().slice(2));
		// Double encoding (a proxy that encodes an already encoded value).
		variants.add(encodeURIComponent(encodeURIComponent(value)));
	}
	// Longest first, so a longer spelling is not cut in the middle by a shorter one.
	return [...variants].filter((v) => v.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

function secretList(secrets: Secrets): string[] {
	const list = Array.isArray(secrets) ? secrets : [secrets];
	return list.filter((s): s is string => typeof s === 'string');
}

/** One case-insensitive pattern for all variants of all secrets, or undefined when there is nothing to hide. */
function secretPattern(secrets: Secrets): RegExp | undefined {
	const variants = secretList(secrets).flatMap(secretVariants);
	if (variants.length === 0) return undefined;
	const unique = [...new Set(variants)].sort((a, b) => b.length - a.length);
	return new RegExp(unique.map(escapeRegExp).join('|'), 'gi');
}

export function redactText(text: string, secrets?: Secrets): string {
	let result = text;
	const pattern = secretPattern(secrets);
	if (pattern) result = result.replace(pattern, REDACTED);
	return result
		.replace(URL_USERINFO_PATTERN, '$1')
		.replace(BEARER_PATTERN, `$1${REDACTED}`)
		.replace(BASIC_PATTERN, `$1${REDACTED}`)
		.replace(DREAMLOOK_KEY_PATTERN, REDACTED);
}

/** A deep copy of `value` with secrets removed; header-like keys lose their values outright. */
export function redactDeep(value: unknown, secrets?: Secrets, depth = 0): unknown {
	if (depth > 20) return REDACTED;
	if (typeof value === 'string') return redactText(value, secrets);
	if (Array.isArray(value)) return value.map((entry) => redactDeep(entry, secrets, depth + 1));
	if (value && typeof value === 'object') {
		const copy: Record<string, unknown> = {};
		for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
			copy[redactText(key, secrets)] = SECRET_HEADER_KEYS.has(key.toLowerCase())
				? REDACTED
				: redactDeep(entry, secrets, depth + 1);
		}
		return copy;
	}
	return value;
}

/** The URL without `user:password@` (and without a trailing slash); a text that is no URL loses anything before an `@`. */
export function safeUrl(url: string): string {
	try {
		const parsed = new URL(url);
		parsed.username = '';
		parsed.password = '';
		return parsed.toString().replace(/\/+$/, '');
	} catch {
		return url.replace(URL_USERINFO_PATTERN, '$1').replace(/^[^/]*@/, '');
	}
}

/** The secrets hidden in a Base URL's userinfo: the whole `user:password` and the password (raw and decoded). */
export function urlSecrets(url: string | undefined): string[] {
	if (!url) return [];
	const match = /^\s*[a-z][a-z0-9+.-]*:\/\/([^\s/?#@]*)@/i.exec(url);
	if (!match) return [];
	const userinfo = match[1];
	const secrets: string[] = [userinfo];
	const colon = userinfo.indexOf(':');
	if (colon >= 0) {
		const password = userinfo.slice(colon + 1);
		secrets.push(password);
		try {
			secrets.push(decodeURIComponent(password));
		} catch {
			/* keep the raw password */
		}
	}
	return secrets;
}
