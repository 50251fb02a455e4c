'use strict';
// Signed download URLs modelled on Google Cloud Storage: no auth header, an expiry and an
// HMAC in the query string. Expiry follows the fake's clock, so a manual-clock test can
// make a URL expire by advancing time.
const crypto = require('node:crypto');

/**
 * @param {{secret?: string, clock: {now(): number}, ttlSeconds: () => number, baseUrl: () => string}} opts
 */
function createSigner(opts) {
	const secret = opts.secret ?? crypto.randomBytes(16).toString('hex');

	/** @param {string} pathname @param {string|number} expires */
	function mac(pathname, expires) {
		return crypto.createHmac('sha256', secret).update(`${pathname}\n${expires}`).digest('hex').slice(0, 32);
	}

	return {
		/** Full URL for `pathname`, valid `ttlSeconds` from the clock's now. @param {string} pathname */
		sign(pathname) {
			const expires = Math.floor(opts.clock.now() / 1000) + opts.ttlSeconds();
			return `${opts.baseUrl()}${pathname}?expires=${expires}&sig=${mac(pathname, expires)}`;
		},
		/**
		 * @param {string} pathname @param {URLSearchParams} query
		 * @returns {'ok'|'expired'|'bad'}
		 */
		verify(pathname, query) {
			const expires = query.get('expires');
			const sig = query.get('sig');
			if (!expires || !sig || !/^\d+$/.test(expires)) return 'bad';
			const want = Buffer.from(mac(pathname, expires));
			const got = Buffer.from(sig);
			if (want.length !== got.length || !crypto.timingSafeEqual(want, got)) return 'bad';
			return opts.clock.now() / 1000 > Number(expires) ? 'expired' : 'ok';
		},
	};
}

/** GCS-like XML error body for a 403/404 on a signed URL. @param {string} code @param {string} message */
function gcsError(code, message) {
	return `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

module.exports = { createSigner, gcsError };
