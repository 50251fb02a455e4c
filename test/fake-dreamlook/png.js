'use strict';
// Real, valid PNG files built from scratch: a small RGB gradient whose colours come from a
// hash of the image id (so bytes are deterministic per id), padded up to a target size with
// a standard tEXt chunk, which every decoder skips.
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

/**
 * @param {string} id any string; same id (and options) → same bytes
 * @param {{targetBytes?: number, width?: number, height?: number}} [opts]
 * @returns {Buffer}
 */
function makePng(id, opts = {}) {
	const width = opts.width ?? 32;
	const height = opts.height ?? 32;
	const h = crypto.createHash('sha256').update(id).digest();
	const from = [h[0], h[1], h[2]];
	const to = [h[3], h[4], h[5]];

	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 2; // colour type RGB
	// compression, filter, interlace: 0

	const stride = width * 3 + 1;
	const raw = Buffer.alloc(stride * height);
	for (let y = 0; y < height; y++) {
		raw[y * stride] = 0; // filter: none
		for (let x = 0; x < width; x++) {
			const f = (x + y) / Math.max(1, width + height - 2);
			const o = y * stride + 1 + x * 3;
			for (let c = 0; c < 3; c++) raw[o + c] = Math.round(from[c] + (to[c] - from[c]) * f);
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

module.exports = { makePng, inspectPng, crc32, PNG_SIGNATURE };
