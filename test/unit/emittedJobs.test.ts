import type { IDataObject } from 'n8n-workflow';

import { recordEmitted, wasEmitted } from '../../nodes/Dreamlook/trigger/emittedJobs';

const HOUR = 3600_000;
const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);

describe('emitted jobs in the static data', () => {
	it('remembers an emitted job within the window and forgets it after', () => {
		const store: IDataObject = {};
		expect(wasEmitted(store, 'ig_a', T0)).toBe(false);
		recordEmitted(store, [['ig_a', T0]], T0);
		expect(wasEmitted(store, 'ig_a', T0 + 47 * HOUR)).toBe(true);
		expect(wasEmitted(store, 'ig_b', T0)).toBe(false);
		expect(wasEmitted(store, 'ig_a', T0 + 49 * HOUR)).toBe(false);
	});

	it('keeps at most maxEntries, dropping the oldest and the expired', () => {
		const store: IDataObject = {};
		const limits = { maxEntries: 3, ttlMs: 10 * HOUR };
		['a', 'b', 'c', 'd'].forEach((id, i) => recordEmitted(store, [[id, T0 + i * 1000]], T0 + i * 1000, limits));
		expect(Object.keys(store.emittedJobs as object).sort()).toEqual(['b', 'c', 'd']);
		expect(wasEmitted(store, 'a', T0 + 5000, limits)).toBe(false);
		recordEmitted(store, [['e', T0 + 11 * HOUR]], T0 + 11 * HOUR, limits);
		expect(Object.keys(store.emittedJobs as object)).toEqual(['e']);
	});

	it('replaces the stored object (so n8n notices the change) and survives a JSON round trip', () => {
		const store: IDataObject = {};
		recordEmitted(store, [['ig_a', T0]], T0);
		const before = store.emittedJobs;
		recordEmitted(store, [['ig_b', T0 + 1000]], T0 + 1000);
		expect(store.emittedJobs).not.toBe(before);
		const saved = JSON.parse(JSON.stringify(store)) as IDataObject;
		expect(wasEmitted(saved, 'ig_a', T0 + 2000)).toBe(true);
		expect(wasEmitted(saved, 'ig_b', T0 + 2000)).toBe(true);
	});

	it('merges what the record holds with what the process emitted: a save that read an older record keeps the others', () => {
		const store: IDataObject = { emittedJobs: { ig_old: Math.floor(T0 / 1000) } };
		recordEmitted(store, [['ig_a', T0 + 1000], ['ig_b', T0 + 2000]], T0 + 3000);
		expect(Object.keys(store.emittedJobs as object)).toEqual(['ig_old', 'ig_a', 'ig_b']);
	});

	it('ignores an unreadable record instead of failing', () => {
		expect(wasEmitted({ emittedJobs: 'garbage' }, 'ig_a', T0)).toBe(false);
		const store: IDataObject = { emittedJobs: { ig_a: 'x', ig_b: Math.floor(T0 / 1000) } };
		expect(wasEmitted(store, 'ig_a', T0)).toBe(false);
		expect(wasEmitted(store, 'ig_b', T0)).toBe(true);
	});
});
