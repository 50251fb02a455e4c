import {
	REDACTED,
	redactDeep,
	redactText,
	safeUrl,
	secretVariants,
	urlSecrets,
} from '../../nodes/Dreamlook/transport/redact';

// Built from parts: test values, not secrets.
const KEY = ['dl', 'A1b2C3d4E5f6G7h8I9j0KkLlMmNnOoPp'].join('-');
const ODD_KEY = ['sk', 'Zx/9+q=w', 'r&t y~!'].join('_'); // needs URL encoding, has a space, no dl- prefix

function swapCase(text: string): string {
	return text.replace(/[a-z]/gi, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
}

describe('redactText: every spelling of the configured key', () => {
	it.each([
		['verbatim', KEY],
		['upper case', KEY.toUpperCase()],
		['lower case', KEY.toLowerCase()],
		['swapped case', swapCase(KEY)],
		['without the dl- prefix', KEY.slice(3)],
		['encodeURIComponent', encodeURIComponent(KEY)],
	])('%s', (_name, echoed) => {
		const text = `{"detail":"bad token","echo":"x-auth=${echoed};"}`;
		const out = redactText(text, KEY);
		expect(out).not.toContain(echoed);
		expect(out.toLowerCase()).not.toContain(KEY.slice(3).toLowerCase());
		expect(out).toContain(REDACTED);
		expect(out).toContain('bad token');
	});

	it.each([
		['verbatim', ODD_KEY],
		['upper case', ODD_KEY.toUpperCase()],
		['encodeURIComponent', encodeURIComponent(ODD_KEY)],
		['encodeURIComponent, lower-case hex', encodeURIComponent(ODD_KEY).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
		['form encoding (+ for spaces)', new URLSearchParams({ k: ODD_KEY }).toString().slice(2)],
		['double encoded', encodeURIComponent(encodeURIComponent(ODD_KEY))],
	])('a key without dl-: %s', (_name, echoed) => {
		const out = redactText(`token=${echoed} end`, ODD_KEY);
		expect(out).toBe(`token=${REDACTED} end`);
	});

	it('a stored key with surrounding spaces is matched trimmed', () => {
		const out = redactText(`echo: ${ODD_KEY} and ${KEY.toUpperCase()}`, [`  ${ODD_KEY}\n`, ` ${KEY} `]);
		expect(out).toBe(`echo: ${REDACTED} and ${REDACTED}`);
	});

	it('Bearer and Basic values go whatever the key, also URL-encoded', () => {
		const out = redactText('a: Bearer%20abc.def b: bearer+xyz c: BEARER qqq d: Basic dXNlcjpwYXNz', undefined);
		for (const secret of ['abc.def', 'xyz', 'qqq', 'dXNlcjpwYXNz']) expect(out).not.toContain(secret);
		expect(out).toContain('Bearer%20[redacted]');
	});

	it('keeps ordinary text: short keys are not searched, other words survive', () => {
		expect(secretVariants('abc')).toEqual([]);
		expect(redactText('the job abc is done', 'abc')).toBe('the job abc is done');
		expect(redactText('Prompt: test; state: running', KEY)).toBe('Prompt: test; state: running');
		// A 4-character key is the configured string itself: only it goes, in any case.
		expect(redactText('Key wxyz / WXYZ; wxy and xyzw stay', 'wxyz')).toBe(`Key ${REDACTED} / ${REDACTED}; wxy and xyzw stay`);
	});

	it('drops user:password@ from any URL in the text', () => {
		const out = redactText('failed: connect https://me:hunter2x@proxy.example:8080/image_gen', undefined);
		expect(out).toBe('failed: connect https://proxy.example:8080/image_gen');
	});
});

describe('redactDeep', () => {
	it('cleans nested values, header-like keys and keys that contain the secret', () => {
		const body = {
			detail: 'nope',
			request_headers: { Authorization: 'Bearer whatever', 'X-Api-Key': 'raw' },
			list: [`k=${encodeURIComponent(ODD_KEY)}`, { deep: ODD_KEY.toLowerCase() }],
			[ODD_KEY]: 1,
		};
		const copy = JSON.stringify(redactDeep(body, ODD_KEY));
		expect(copy).not.toContain('whatever');
		expect(copy).not.toContain('"raw"');
		expect(copy.toLowerCase()).not.toContain('zx/9');
		expect(copy).not.toContain(encodeURIComponent(ODD_KEY));
		expect(copy).toContain('nope');
	});
});

describe('Base URL userinfo', () => {
	it('safeUrl strips user and password', () => {
		expect(safeUrl('https://u:p%40ss@api.example.com:8443/')).toBe('https://api.example.com:8443');
		expect(safeUrl('https://api.dreamlook.ai')).toBe('https://api.dreamlook.ai');
		expect(safeUrl('not a url://u:p@x')).not.toContain('u:p');
	});

	it('urlSecrets gives the userinfo and the password (raw and decoded) to redact elsewhere', () => {
		expect(urlSecrets('https://user:p%40ssword@host/')).toEqual(['user:p%40ssword', 'p%40ssword', 'p@ssword']);
		expect(urlSecrets('https://host/')).toEqual([]);
		const text = redactText('proxy said: bad password p@ssword for user', urlSecrets('https://user:p%40ssword@host/'));
		expect(text).toBe(`proxy said: bad password ${REDACTED} for user`);
	});
});
