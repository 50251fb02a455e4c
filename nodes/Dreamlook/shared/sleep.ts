import { sleep as n8nSleep } from 'n8n-workflow';

function reasonOf(signal: AbortSignal): Error {
	return signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? 'This operation was aborted'));
}

/**
 * `sleep(ms, signal)` that ends when the signal aborts, on every n8n: n8n-workflow 2.x's sleep
 * honours the signal, 1.x's ignores it (a stopped execution would wait out the whole pause).
 * Rejects as 2.x does, with the signal's reason.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	if (!signal) return await n8nSleep(ms);
	if (signal.aborted) throw reasonOf(signal);
	let onAbort: (() => void) | undefined;
	try {
		await Promise.race([
			n8nSleep(ms, signal),
			new Promise<never>((_resolve, reject) => {
				onAbort = () => reject(reasonOf(signal));
				signal.addEventListener('abort', onAbort, { once: true });
			}),
		]);
	} finally {
		if (onAbort) signal.removeEventListener('abort', onAbort);
	}
}
