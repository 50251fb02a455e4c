'use strict';
// Seeded randomness: with `seed` set, job ids, image seeds and chaos faults are reproducible.
const crypto = require('node:crypto');

// Globals are read once: inside jest's vm context every global lookup (Math, Array...) is
// slow enough to make bulk seeding ten times slower.
const { imul, floor } = Math;

/** @param {number|string|undefined} seed @returns {() => number} uniform in [0, 1) */
function makeRng(seed) {
	/** @type {number} */
	let a;
	if (seed === undefined || seed === null) a = crypto.randomBytes(4).readUInt32LE(0);
	else if (typeof seed === 'number') a = seed >>> 0;
	else a = crypto.createHash('sha256').update(String(seed)).digest().readUInt32LE(0);
	// mulberry32: tiny, fast, good enough for test data.
	return function next() {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = imul(t ^ (t >>> 15), t | 1);
		t ^= t + imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** @param {() => number} rng @param {number} n */
function randomAlnum(rng, n) {
	let s = '';
	for (let i = 0; i < n; i++) s += ALNUM[floor(rng() * 36)];
	return s;
}

module.exports = { makeRng, randomAlnum };
