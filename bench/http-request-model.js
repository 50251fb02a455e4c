'use strict';
// A model of n8n's HTTP Request node as users point it at POST /image_gen: one POST per item, all
// items at once (HTTP Request v4 sends every item's request, then waits for all of them), no memory
// of earlier runs, and the first failed item fails the node. With the node setting Retry On Fail,
// n8n then runs the node again from the start: every item is POSTed again, including those whose
// job the server had already created. Used by bench/money.js; not the real node (which needs
// n8n-nodes-base, not a dependency of this project).
const { NodeApiError } = require('n8n-workflow');
const path = require('node:path');
const { imageGenBody } = require('./lib');

const MODEL_TYPE = 'bench.httpRequestModel';

class HttpRequestModel {
	constructor() {
		this.description = {
			displayName: 'HTTP Request (model)',
			name: 'httpRequestModel',
			group: ['output'],
			version: 1,
			description: 'POST /image_gen once per item, like an HTTP Request node',
			defaults: { name: 'HTTP Request (model)' },
			inputs: ['main'],
			outputs: ['main'],
			properties: [
				{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
				{ displayName: 'API Key', name: 'apiKey', type: 'string', typeOptions: { password: true }, default: '' },
			],
		};
	}

	/** @this {import('n8n-workflow').IExecuteFunctions} */
	async execute() {
		const items = this.getInputData();
		const results = await Promise.allSettled(
			items.map((item, i) =>
				this.helpers.httpRequest({
					method: 'POST',
					url: `${this.getNodeParameter('baseUrl', i)}/image_gen`,
					headers: { authorization: `Bearer ${this.getNodeParameter('apiKey', i)}` },
					body: imageGenBody(item.json.i),
					json: true,
				}),
			),
		);
		const failed = results.findIndex((r) => r.status === 'rejected');
		if (failed >= 0) throw new NodeApiError(this.getNode(), results[failed].reason, { itemIndex: failed });
		return [results.map((r, i) => ({ json: r.value, pairedItem: { item: i } }))];
	}
}

module.exports = { HttpRequestModel, MODEL_TYPE, file: path.basename(__filename) };
