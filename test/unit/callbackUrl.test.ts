import { isLocalHost, unreachableCallback } from '../../nodes/Dreamlook/shared/callbackUrl';

describe('isLocalHost', () => {
	it.each(['localhost', 'LOCALHOST', 'n8n.localhost', 'box.local', 'n8n', '127.0.0.1', '127.8.9.1', '0.0.0.0', '10.1.2.3', '172.16.0.1', '172.31.255.1', '192.168.0.10', '169.254.1.1', '100.64.0.1', '[::1]', '::1', 'fd12:3456::1', 'fe80::1', '::ffff:127.0.0.1', 'host.docker.internal'])(
		'%s is local',
		(host) => expect(isLocalHost(host)).toBe(true),
	);
	it.each(['api.dreamlook.ai', 'n8n.example.com', '8.8.8.8', '172.32.0.1', '172.15.0.1', '192.169.0.1', '100.128.0.1', '2001:db8::1', '::ffff:8.8.8.8'])('%s is not local', (host) =>
		expect(isLocalHost(host)).toBe(false),
	);
});

describe('unreachableCallback', () => {
	it('names a local callback when the API is on the internet', () => {
		expect(unreachableCallback('http://localhost:5678/webhook/x', 'https://api.dreamlook.ai')).toMatch(/localhost is this machine/);
	});
	it('accepts a local callback for a local API, a public callback always, and leaves malformed URLs to other checks', () => {
		expect(unreachableCallback('http://localhost:5678/webhook/x', 'http://127.0.0.1:4010')).toBeUndefined();
		expect(unreachableCallback('https://n8n.example.com/webhook/x', 'https://api.dreamlook.ai')).toBeUndefined();
		expect(unreachableCallback('not a url', 'https://api.dreamlook.ai')).toBeUndefined();
	});
	it('reads IPv4-mapped IPv6 addresses as the URL parser writes them', () => {
		expect(unreachableCallback('http://[::ffff:127.0.0.1]:5678/x', 'https://api.dreamlook.ai')).toMatch(/is this machine/);
		expect(unreachableCallback('http://[::ffff:8.8.8.8]/x', 'https://api.dreamlook.ai')).toBeUndefined();
	});
});
