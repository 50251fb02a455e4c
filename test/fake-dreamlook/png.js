'use strict';
// Real, valid PNG files built from scratch, tiny and dependency-free. A generated image's look
// follows what was asked for, so a newcomer sees that different prompts and seeds give different
// pictures: the prompt picks the colours (two hues), the seed picks the pattern (stripes, checks,
// rings, dots, waves, a diagonal) with its scale and position. Without a prompt and seed the id
// stands in for both. Same id and look → same bytes. Padded up to a target size with a standard
// tEXt chunk, which every decoder skips.
const zlib = require('node:zlib');
const crypto = require('node:crypto');

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHUNK_OVERHEAD = 12; // length + type + crc
const PAD_KEYWORD = Buffer.from('Comment\0', 'latin1');

// zlib.crc32 exists from Node 20.15 / 22.2; keep a table fallback for older runtimes.
const CRC_TABLE = (() => {
	const t = new Uint32Array(256);
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		t[n] = c >>> 0;
	}
	return t;
})();

/** @param {Buffer} buf @returns {number} */
function crc32(buf) {
	if (typeof zlib.crc32 === 'function') return zlib.crc32(buf);
	let c = 0xffffffff;
	for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}

/** @param {string} type four ASCII letters @param {Buffer} data */
function chunk(type, data) {
	const out = Buffer.alloc(CHUNK_OVERHEAD + data.length);
	out.writeUInt32BE(data.length, 0);
	out.write(type, 4, 'ascii');
	data.copy(out, 8);
	out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
	return out;
}

/** @param {number} h hue 0..360 @param {number} s 0..1 @param {number} l 0..1 @returns {number[]} RGB 0..255 */
function hsl(h, s, l) {
	const k = (/** @type {number} */ n) => (n + h / 30) % 12;
	const a = s * Math.min(l, 1 - l);
	const f = (/** @type {number} */ n) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
	return [f(0), f(8), f(4)].map((v) => Math.round(v * 255));
}

const PATTERNS = ['stripes', 'columns', 'checks', 'rings', 'dots', 'waves', 'diagonal'];

/**
 * What an image looks like: colours from the prompt, pattern from the seed.
 * @param {string} id @param {{prompt?: string, seed?: number}} [look]
 */
function lookOf(id, look = {}) {
	const p = crypto.createHash('sha256').update(`prompt|${look.prompt ?? id}`).digest();
	const s = crypto.createHash('sha256').update(`seed|${look.seed ?? id}`).digest();
	const hue = (p[0] * 256 + p[1]) % 360;
	const background = hsl(hue, 0.45 + p[2] / 1020, 0.22 + p[3] / 1275); // dark, muted
	const foreground = hsl((hue + 90 + (p[4] % 180)) % 360, 0.75 + p[5] / 1020, 0.55 + p[6] / 1275); // bright, another hue
	return {
		background,
		foreground,
		pattern: PATTERNS[s[0] % PATTERNS.length],
		period: 6 + (s[1] % 14), // in 64ths of the width
		cx: s[2] / 255,
		cy: s[3] / 255,
		phase: s[4],
	};
}

/**
 * Whether pixel (x, y) of a size×size image is foreground.
 * @param {ReturnType<typeof lookOf>} lk @param {number} x @param {number} y @param {number} size
 */
function isForeground(lk, x, y, size) {
	const u = (x * 64) / size;
	const v = (y * 64) / size;
	const p = lk.period;
	const half = (/** @type {number} */ t) => ((((t + lk.phase) % p) + p) % p) < p / 2;
	switch (lk.pattern) {
		case 'stripes':
			return half(v);
		case 'columns':
			return half(u);
		case 'checks':
			return half(u) !== half(v);
		case 'rings':
			return half(Math.hypot(u - lk.cx * 64, v - lk.cy * 64));
		case 'dots': {
			const du = ((u + lk.phase) % p) - p / 2;
			const dv = ((v + lk.phase) % p) - p / 2;
			return Math.hypot(du, dv) < p / 3;
		}
		case 'waves':
			return half(v + Math.sin((u / 64) * Math.PI * 2 * (1 + (lk.phase % 3))) * 6);
		default:
			return half(u + v);
	}
}

/**
 * @param {string} id any string; same id (and options) → same bytes
 * @param {{targetBytes?: number, width?: number, height?: number, prompt?: string, seed?: number}} [opts]
 *   prompt / seed: what the image was generated from (colours / pattern); the id stands in when absent
 * @returns {Buffer}
 */
function makePng(id, opts = {}) {
	const width = opts.width ?? 64;
	const height = opts.height ?? 64;
	const h = crypto.createHash('sha256').update(id).digest();
	const lk = lookOf(id, { prompt: opts.prompt, seed: opts.seed });

	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 2; // colour type RGB
	// compression, filter, interlace: 0

	const stride = width * 3 + 1;
	const raw = Buffer.alloc(stride * height);
	const size = Math.max(width, height);
	for (let y = 0; y < height; y++) {
		raw[y * stride] = 0; // filter: none
		for (let x = 0; x < width; x++) {
			const c = isForeground(lk, x, y, size) ? lk.foreground : lk.background;
			const o = y * stride + 1 + x * 3;
			raw[o] = c[0];
			raw[o + 1] = c[1];
			raw[o + 2] = c[2];
		}
	}
	const head = Buffer.concat([
		PNG_SIGNATURE,
		chunk('IHDR', ihdr),
		chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
	]);
	const iend = chunk('IEND', Buffer.alloc(0));

	const padLen = (opts.targetBytes ?? 0) - head.length - iend.length - CHUNK_OVERHEAD - PAD_KEYWORD.length;
	if (padLen <= 0) return Buffer.concat([head, iend]);
	// Deterministic latin-1 filler: the hex of the hash, repeated.
	const text = Buffer.alloc(PAD_KEYWORD.length + padLen);
	PAD_KEYWORD.copy(text, 0);
	text.fill(h.toString('hex'), PAD_KEYWORD.length, undefined, 'latin1');
	return Buffer.concat([head, chunk('tEXt', text), iend]);
}

/** Cheap structural check used by tests: signature, chunk CRCs, IHDR first, IEND last. */
function inspectPng(/** @type {Buffer} */ buf) {
	if (buf.length < 8 || !buf.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG signature');
	let off = 8;
	/** @type {string[]} */
	const types = [];
	let width = 0;
	let height = 0;
	while (off < buf.length) {
		const len = buf.readUInt32BE(off);
		const type = buf.toString('ascii', off + 4, off + 8);
		const end = off + 8 + len;
		if (end + 4 > buf.length) throw new Error(`chunk ${type} truncated`);
		if (crc32(buf.subarray(off + 4, end)) !== buf.readUInt32BE(end)) throw new Error(`bad CRC in ${type}`);
		if (type === 'IHDR') {
			width = buf.readUInt32BE(off + 8);
			height = buf.readUInt32BE(off + 12);
		}
		types.push(type);
		off = end + 4;
	}
	if (types[0] !== 'IHDR' || types[types.length - 1] !== 'IEND') throw new Error('bad chunk order');
	return { width, height, chunks: types };
}

module.exports = { makePng, lookOf, inspectPng, crc32, PNG_SIGNATURE };
