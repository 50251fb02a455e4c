import type { INode, INodePropertyOptions } from 'n8n-workflow';

import { toolDescriptionProperties } from '../../nodes/Dreamlook/actions/tool.descriptions';
import { properties } from '../../nodes/Dreamlook/actions/node.description';
import { signedUrlExpiresAt } from '../../nodes/Dreamlook/api/contract';
import { isToolMode, toolJson } from '../../nodes/Dreamlook/shared/toolMode';
import { node } from './fixtures';

describe('signed URL expiry', () => {
	it('reads GCS V4 (X-Goog-Date + X-Goog-Expires), V2 (Expires) and the fake\'s expires', () => {
		expect(signedUrlExpiresAt('https://storage.googleapis.com/b/o.png?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Date=20261203T040000Z&X-Goog-Expires=3600&X-Goog-Signature=ab')).toBe(Date.parse('2026-12-03T05:00:00Z'));
		expect(signedUrlExpiresAt('https://storage.googleapis.com/b/o.png?GoogleAccessId=x&Expires=1796270400&Signature=y')).toBe(1796270400000);
		expect(signedUrlExpiresAt('http://127.0.0.1:1/images/x.png?expires=1796270400&sig=z')).toBe(1796270400000);
	});

	it('says nothing when the URL does not tell', () => {
		expect(signedUrlExpiresAt('https://cdn.example/x.png')).toBeUndefined();
		expect(signedUrlExpiresAt('https://x/y?X-Goog-Date=yesterday&X-Goog-Expires=3600')).toBeUndefined();
		expect(signedUrlExpiresAt('not a url')).toBeUndefined();
	});
});

describe('tool mode', () => {
	it('is the node type n8n generates from usableAsTool (name + "Tool")', () => {
		const as = (type: string) => ({ getNode: (): INode => ({ ...node, type }) });
		expect(isToolMode(as('n8n-nodes-dreamlook.dreamlookTool'))).toBe(true);
		expect(isToolMode(as('n8n-nodes-dreamlook.dreamlook'))).toBe(false);
	});

	it('answers the simplified job with the earliest link expiry', () => {
		const job = {
			job_id: 'ig_1',
			state: 'success',
			image_gen_results: [{ generated_images: [{ url: 'https://x/a.png?Expires=1796270500', seed: 1 }, { url: 'https://x/b.png?Expires=1796270400', seed: 2 }] }],
		};
		expect(toolJson(job)).toMatchObject({ job_id: 'ig_1', state: 'success', seeds: [1, 2], image_urls_expire_at: new Date(1796270400000).toISOString() });
		expect(toolJson({ job_id: 'db_1', state: 'queued' }).image_urls_expire_at).toBeUndefined();
	});

	it('has a tool description for every operation, shown only in the tool variant, saying cost and wait', () => {
		const operations = properties
			.filter((property) => property.name === 'operation')
			.flatMap((property) => (property.options as INodePropertyOptions[]).map((option) => `${property.displayOptions?.show?.resource?.[0]}.${option.value}`));
		const described = toolDescriptionProperties.map((property) => `${property.displayOptions?.show?.resource?.[0]}.${property.displayOptions?.show?.operation?.[0]}`);
		expect(described.sort()).toEqual(operations.sort());
		for (const property of toolDescriptionProperties) {
			expect(property.displayOptions?.show?.['@tool']).toEqual([true]);
			const text = String(property.default);
			const creates = ['image', 'training'].includes(String(property.displayOptions?.show?.resource?.[0]));
			expect(text).toMatch(creates ? /COSTS MONEY/ : /Free: it only reads and returns at once/);
			if (creates) expect(text).toMatch(/wait.*\d+ seconds/);
			expect(text).toMatch(/job_id/);
		}
	});
});
