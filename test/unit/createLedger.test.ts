import type { INode } from 'n8n-workflow';

import {
	bodyHashOf,
	type CreateIdentity,
	CreateLedger,
	idempotencyTagOf,
	stableJson,
} from '../../nodes/Dreamlook/shared/createLedger';
import { InputChecker } from '../../nodes/Dreamlook/shared/validate';

const identity = (overrides: Partial<CreateIdentity> = {}): CreateIdentity => ({
	executionId: '17',
	workflowId: 'wf1',
	nodeId: 'node-a',
	itemIndex: 0,
	bodyHash: bodyHashOf({ prompt: 'a fox' }),
	...overrides,
});

describe('create ledger', () => {
	it('remembers a job per execution, node, item and body', () => {
		const ledger = new CreateLedger();
		ledger.set(identity(), { kind: 'created', jobId: 'ig_1' });
		expect(ledger.get(identity())).toEqual({ kind: 'created', jobId: 'ig_1' });
		expect(ledger.get(identity({ executionId: '18' }))).toBeUndefined();
		expect(ledger.get(identity({ nodeId: 'node-b' }))).toBeUndefined();
		expect(ledger.get(identity({ itemIndex: 1 }))).toBeUndefined();
		expect(ledger.get(identity({ bodyHash: bodyHashOf({ prompt: 'a wolf' }) }))).toBeUndefined();
	});

	it('forgets entries after their time to live (injected clock)', () => {
		let now = 1000;
		const ledger = new CreateLedger({ ttlMs: 500, now: () => now });
		ledger.set(identity(), { kind: 'unknown', tag: 't' });
		now = 1500;
		expect(ledger.get(identity())).toEqual({ kind: 'unknown', tag: 't' });
		now = 1501;
		expect(ledger.get(identity())).toBeUndefined();
		expect(ledger.size).toBe(0);
	});

	it('is bounded: the oldest entries go first', () => {
		const ledger = new CreateLedger({ maxEntries: 3 });
		for (let itemIndex = 0; itemIndex < 5; itemIndex++) ledger.set(identity({ itemIndex }), { kind: 'created', jobId: `ig_${itemIndex}` });
		expect(ledger.size).toBe(3);
		expect(ledger.get(identity({ itemIndex: 1 }))).toBeUndefined();
		expect(ledger.get(identity({ itemIndex: 4 }))).toEqual({ kind: 'created', jobId: 'ig_4' });
	});

	it('hashes bodies independently of key order, and tags carry no readable data', () => {
		expect(stableJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
		expect(bodyHashOf({ a: 1, b: 2 })).toBe(bodyHashOf({ b: 2, a: 1 }));
		expect(bodyHashOf({ a: 1 })).not.toBe(bodyHashOf({ a: 2 }));
		const tag = idempotencyTagOf(identity());
		expect(tag).toMatch(/^n8n-[0-9a-f]{32}$/);
		expect(idempotencyTagOf(identity())).toBe(tag);
		expect(idempotencyTagOf(identity({ executionId: '18' }))).not.toBe(tag);
	});
});

describe('fail-closed switches', () => {
	const node: INode = { id: '1', name: 'Dreamlook', type: 'x', typeVersion: 1, position: [0, 0], parameters: {} };
	const check = new InputChecker(node, 0);

	it.each([true, 'true', ' TRUE ', 1, '1'])('%j is on', (value) => {
		expect(check.boolean('Dry Run', value)).toBe(true);
	});

	it.each([false, 'false', 0, '0', ''])('%j is off', (value) => {
		expect(check.boolean('Dry Run', value)).toBe(false);
	});

	it('unset takes the default', () => {
		expect(check.boolean('Wait for Completion', undefined, true)).toBe(true);
		expect(check.boolean('Wait for Completion', null, false)).toBe(false);
	});

	it.each(['yes', 'no', 'on', 2, -1, {}, []])('%j is an error naming the field', (value) => {
		expect(() => check.boolean('Dry Run', value)).toThrow(/^Dry Run: must be true or false/);
	});
});
