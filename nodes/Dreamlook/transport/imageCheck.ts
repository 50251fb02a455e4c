/**
 * Pure checks of image downloads: which URLs may be fetched, what the first bytes say, and how a
 * body that is not an image is shown in a message. No n8n, no HTTP (see download.ts).
 */

/** Enough for every signature we sniff (WebP needs 12 bytes). */
export const SNIFF_BYTES = 16;
export const PREVIEW_CHARS = 80;
/** The first bytes read from a body that is not an image, for the error message. */
const PREVIEW_BYTES = 512;

export const GENERIC_TYPES = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'application/binary']);
const EXTENSION_BY_MIME: Record<string, string> = {
	'image/png': 'png',
	'image/jpeg': 'jpeg',
	'image/jpg': 'jpeg',
	'image/webp': 'webp',
	'image/gif': 'gif',
};
const IMAGE_EXTENSIONS = new Set(['png', 'jpeg', 'jpg', 'webp', 'gif']);

function startsWith(bytes: Uint8Array, signature: number[], offset = 0): boolean {
	if (bytes.length < offset + signature.length) return false;
	return signature.every((byte, index) => bytes[offset + index] === byte);
}

const ascii = (text: string) => Array.from(text, (char) => char.charCodeAt(0));

/** The image type the first bytes announce (PNG, JPEG, WebP, GIF), or undefined. */
export function sniffImageType(bytes: Uint8Array): string | undefined {
	if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
	if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
	if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'image/gif';
	if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
	return undefined;
}

/** `text/html; charset=utf-8` → `text/html`; missing → ''. */
export function mimeOf(header: string | string[] | undefined): string {
	const value = Array.isArray(header) ? header[0] : header;
	return String(value ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Decides what a response is from its declared type and first bytes: an image type, or why not.
 * `image/*` is trusted; a missing or generic type (application/octet-stream) needs an image signature.
 */
export function imageTypeOf(declared: string, head: Uint8Array): { mimeType: string } | { problem: string } {
	if (declared.startsWith('image/')) return { mimeType: declared };
	if (GENERIC_TYPES.has(declared)) {
		const sniffed = sniffImageType(head);
		if (sniffed) return { mimeType: sniffed };
		return { problem: `the content is not an image (${declared || 'no content type'}, no PNG/JPEG/WebP/GIF signature)` };
	}
	return { problem: `the server sent ${declared}, not an image` };
}

/**
 * The first bytes as text that is safe in a message: markup tags removed, control characters
 * replaced, whitespace collapsed, at most 80 characters.
 */
export function previewOf(bytes: Uint8Array): string {
	let text = '';
	for (const byte of bytes.subarray(0, PREVIEW_BYTES)) {
		text += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : byte === 0x09 || byte === 0x0a || byte === 0x0d ? ' ' : '.';
	}
	const cleaned = text
		.replace(/<[^>]*>?/g, ' ')
		.replace(/[<>]/g, ' ')
		.replace(/\s+/g, ' ')
		.trim();
	return cleaned.length > PREVIEW_CHARS ? `${cleaned.slice(0, PREVIEW_CHARS - 1)}…` : cleaned;
}

export function formatBytes(bytes: number): string {
	if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
	if (bytes >= 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KB`;
	return `${bytes} bytes`;
}

/**
 * Which image URLs may be fetched: any `https:` URL, or a URL on the credential's Base URL origin
 * (a local fake or a proxy). Anything else is refused before any request, naming the host.
 */
export function imageUrlProblem(url: string, baseUrl: string): string | undefined {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return `the image link is not a valid URL (${previewOf(Buffer.from(url.slice(0, 80)))})`;
	}
	if (parsed.protocol === 'https:') return undefined;
	let baseOrigin: string | undefined;
	try {
		baseOrigin = new URL(baseUrl).origin;
	} catch {
		baseOrigin = undefined;
	}
	if (baseOrigin !== undefined && parsed.origin === baseOrigin) return undefined;
	return (
		`the image link points at ${parsed.protocol}//${parsed.host}: only https links (or links on the credential's ` +
		`Base URL${baseOrigin ? ` ${baseOrigin}` : ''}) are downloaded`
	);
}

export function extensionFor(mimeType: string, url: string): string {
	const known = EXTENSION_BY_MIME[mimeType];
	if (known) return known;
	let fromUrl: string | undefined;
	try {
		fromUrl = /\.([a-z0-9]{2,5})$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase();
	} catch {
		fromUrl = undefined;
	}
	if (fromUrl && IMAGE_EXTENSIONS.has(fromUrl)) return fromUrl;
	const subtype = mimeType.split('/')[1]?.split('+')[0]?.replace(/[^a-z0-9]/g, '').slice(0, 5);
	return subtype || 'img';
}

export function hostOf(url: string): string {
	try {
		return new URL(url).host;
	} catch {
		return 'an invalid URL';
	}
}
