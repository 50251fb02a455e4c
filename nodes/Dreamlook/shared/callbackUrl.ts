/**
 * Dreamlook calls a job's Callback URL from the internet. A URL on this machine or a private
 * network (n8n's default webhook address is http://localhost:5678/) can never be called, and the
 * workflow would wait for a call that never comes: refused before any paid request, unless the
 * API itself is local too (the fake API, tests, a local proxy).
 */

/** Whether `hostname` names this machine, a private network or a link-local address. */
export function isLocalHost(hostname: string): boolean {
	const host = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
	if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal')) return true;
	if (!host.includes('.') && !host.includes(':')) return true; // a bare name (docker service, intranet host)
	const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
	if (v4) {
		const [a, b] = [Number(v4[1]), Number(v4[2])];
		return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
	}
	if (host.includes(':')) {
		if (host === '::' || host === '::1') return true;
		const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(host);
		if (mapped) return isLocalHost(mapped[1]);
		// the URL parser writes a mapped IPv4 address in hex: ::ffff:7f00:1 is 127.0.0.1
		const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
		if (hex) {
			const [high, low] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
			return isLocalHost(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
		}
		return /^f[cd][0-9a-f]{2}:/.test(host) || /^fe[89ab][0-9a-f]:/.test(host);
	}
	return false;
}

/**
 * Why Dreamlook could not call `callback` back, or undefined when it can (or when the API at
 * `baseUrl` is local too, so a local callback is reachable from it).
 */
export function unreachableCallback(callback: string, baseUrl: string): string | undefined {
	let callbackHost: string;
	let apiHost: string;
	try {
		callbackHost = new URL(callback).hostname;
		apiHost = new URL(baseUrl).hostname;
	} catch {
		return undefined; // the URL checks elsewhere name a malformed URL
	}
	if (!isLocalHost(callbackHost) || isLocalHost(apiHost)) return undefined;
	return `Dreamlook cannot reach the Callback URL: ${callbackHost} is this machine or a private network`;
}
