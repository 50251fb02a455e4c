// The package's sleep ends at "Stop execution" on every n8n: n8n-workflow 2.x's sleep(ms, signal)
// honours the signal, 1.x's (n8n 1.123) ignores it. The 1.x behaviour is simulated by a mocked
// n8n-workflow sleep that only ends when the test releases it.
jest.mock('n8n-workflow', () => {
	const actual = jest.requireActual('n8n-workflow');
	return { ...actual, sleep: jest.fn(actual.sleep) };
});

import { sleep as n8nSleep } from 'n8n-workflow';

import { sleep } from '../../nodes/Dreamlook/shared/sleep';

const mocked = n8nSleep as jest.MockedFunction<typeof n8nSleep>;
const actual = jest.requireActual('n8n-workflow').sleep as typeof n8nSleep;

/** n8n 1.x: sleep(ms, signal) waits the whole time, whatever the signal says. */
function like1x() {
	const releases: Array<() => void> = [];
	mocked.mockClear();
	mocked.mockImplementation(async () => await new Promise<void>((resolve) => releases.push(resolve)));
	return () => releases.forEach((release) => release());
}

afterEach(() => mocked.mockImplementation(actual));

describe('sleep (abort-aware on n8n 1.x and 2.x)', () => {
	test('n8n 1.x: a stop ends a ten-minute pause at once, with the signal reason', async () => {
		const release = like1x();
		const controller = new AbortController();
		const pause = sleep(600_000, controller.signal);
		controller.abort(new Error('the execution was stopped'));
		await expect(pause).rejects.toThrow('the execution was stopped');
		release();
	});

	test('n8n 1.x: an already aborted signal rejects before sleeping', async () => {
		like1x();
		const controller = new AbortController();
		controller.abort(new Error('stopped before'));
		await expect(sleep(600_000, controller.signal)).rejects.toThrow('stopped before');
		expect(mocked).not.toHaveBeenCalled();
	});

	test('n8n 1.x: a pause that ends normally resolves; a later abort changes nothing', async () => {
		const release = like1x();
		const controller = new AbortController();
		const pause = sleep(600_000, controller.signal);
		release();
		await expect(pause).resolves.toBeUndefined();
		controller.abort(new Error('later'));
	});

	test('n8n 2.x (the real n8n-workflow): a stop ends the pause with the same reason', async () => {
		const controller = new AbortController();
		const pause = sleep(600_000, controller.signal);
		controller.abort(new Error('the execution was stopped'));
		await expect(pause).rejects.toThrow('the execution was stopped');
	});

	test('no signal: a plain pause', async () => {
		const started = Date.now();
		await sleep(20);
		expect(Date.now() - started).toBeGreaterThanOrEqual(15);
	});

	test('an abort without an Error reason still rejects with an Error', async () => {
		like1x();
		const controller = new AbortController();
		const pause = sleep(600_000, controller.signal);
		controller.abort('stop');
		await expect(pause).rejects.toThrow('stop');
	});
});
