'use strict';
// Issue 12, "an AI-agent tool that works": the node as n8n's generated `dreamlookTool`, called the way
// an AI agent calls it — n8n-core's own tool wrapping (getInputConnectionData → createNodeAsTool →
// makeHandleToolInvocation, which runs the node's execute() with the agent's arguments and returns the
// items' JSON as text) — without an LLM: a stand-in agent node invokes the tool with fixed arguments.
const { runWorkflow, manualTriggerNode } = require('../harness');
const { Dreamlook } = require('../../nodes/Dreamlook/Dreamlook.node');
const { DreamlookApi } = require('../../credentials/DreamlookApi.credentials');
const { useFake, requestsTo, DEFAULT_API_KEY } = require('./helpers');

/**
 * n8n's conversion of a `usableAsTool` node (packages/cli: convertNodeToAiTool): type name + "Tool",
 * no main input, an ai_tool output, and its generic Tool Description fields only when the node
 * declares no `toolDescription` of its own.
 */
function toToolDescription(description) {
	const tool = JSON.parse(JSON.stringify(description));
	tool.name += 'Tool';
	tool.displayName += ' Tool';
	tool.inputs = [];
	tool.outputs = ['ai_tool'];
	delete tool.usableAsTool;
	if (!tool.properties.some((property) => property.name === 'toolDescription')) {
		tool.properties.unshift(
			{ displayName: 'Tool Description', name: 'descriptionType', type: 'options', options: [{ name: 'Set Automatically', value: 'auto' }, { name: 'Set Manually', value: 'manual' }], default: 'auto' },
			{ displayName: 'Description', name: 'toolDescription', type: 'string', default: tool.description, displayOptions: { show: { descriptionType: ['manual'] } } },
		);
	}
	return tool;
}

class DreamlookTool extends Dreamlook {
	constructor() {
		super();
		this.description = toToolDescription(this.description);
	}
}

/** Stands in for the AI Agent: takes the connected tool and calls it with the node's `args`, like a model would. */
class ToolCaller {
	constructor() {
		this.description = {
			displayName: 'Tool Caller',
			name: 'toolCaller',
			group: ['transform'],
			version: 1,
			description: 'Calls the connected tool like an AI agent',
			defaults: { name: 'Tool Caller' },
			inputs: ['main', { type: 'ai_tool', displayName: 'Tool', required: true, maxConnections: 1 }],
			outputs: ['main'],
			properties: [{ displayName: 'Arguments', name: 'args', type: 'json', default: '{}' }],
		};
	}

	async execute() {
		const connected = await this.getInputConnectionData('ai_tool', 0);
		const tool = Array.isArray(connected) ? connected[0] : connected;
		const args = JSON.parse(this.getNodeParameter('args', 0));
		let text;
		try {
			text = await tool.invoke(args);
		} catch (error) {
			text = `ERROR: ${error.message}`;
		}
		return [[{ json: { name: tool.name, description: tool.description, text } }]];
	}
}

const TOOL_TYPE = 'n8n-nodes-dreamlook.dreamlookTool';

async function callTool(fake, parameters, args) {
	const trigger = manualTriggerNode();
	const nodes = [
		trigger,
		{ id: 'caller', name: 'Agent', type: 'test.toolCaller', typeVersion: 1, position: [400, 0], parameters: { args: JSON.stringify(args) } },
		{ id: 'tool', name: 'Dreamlook Tool', type: TOOL_TYPE, typeVersion: 1, position: [400, 200], parameters, credentials: { dreamlookApi: { id: '1', name: 'Dreamlook account' } } },
	];
	const connections = {
		[trigger.name]: { main: [[{ node: 'Agent', type: 'main', index: 0 }]] },
		'Dreamlook Tool': { ai_tool: [[{ node: 'Agent', type: 'ai_tool', index: 0 }]] },
	};
	const result = await runWorkflow({
		nodeTypes: { [TOOL_TYPE]: DreamlookTool, 'test.toolCaller': ToolCaller },
		credentialTypes: { dreamlookApi: DreamlookApi },
		credentials: { dreamlookApi: { id: '1', name: 'Dreamlook account', data: { apiKey: DEFAULT_API_KEY, baseUrl: fake.url } } },
		nodes,
		connections,
	});
	if (result.error) throw result.error;
	const [item] = result.outputOf('Agent');
	return { ...item.json, result };
}

describe('Dreamlook as an AI agent\'s tool', () => {
	const fake = useFake();

	it('Image → Create: waits, answers JSON with job id, state, image URLs and their expiry, seeds — no binary', async () => {
		const parameters = {
			resource: 'image',
			operation: 'create',
			prompt: "={{ $fromAI('prompt', 'What the picture shows', 'string') }}",
			modelType: 'sd-v1',
			width: 512,
			height: 512,
			numSamples: 2,
			options: { pollInterval: 0.2, timeout: 20 },
		};
		const before = Date.now();
		const { name, description, text } = await callTool(fake, parameters, { prompt: 'a red fox in the snow' });
		expect(name).toBe('Dreamlook_Tool');
		expect(description).toMatch(/^Generates images from a text prompt/);
		expect(description).toMatch(/COSTS MONEY/);
		expect(description).toMatch(/waits until the images are ready, at most the node's Timeout \(600 seconds/);

		const [job] = JSON.parse(text);
		expect(job).toMatchObject({ job_type: 'image-gen', state: 'success', seeds: [expect.any(Number), expect.any(Number)] });
		expect(job.job_id).toMatch(/^ig_/);
		expect(job.image_urls).toHaveLength(2);
		expect(job.image_urls[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/images\//);
		const expiresAt = Date.parse(job.image_urls_expire_at);
		expect(expiresAt).toBeGreaterThan(before + 30 * 60 * 1000);
		expect(expiresAt).toBeLessThan(Date.now() + 2 * 60 * 60 * 1000);
		expect(Object.keys(job)).not.toContain('binary');
		// The agent's argument became the prompt; no image was downloaded.
		expect(requestsTo(fake, 'POST', '/image_gen')[0].body.prompt).toBe('a red fox in the snow');
		expect(requestsTo(fake, 'GET', '/images/')).toHaveLength(0);
	});

	it('Image → Create with Download Images and Simplify off still answers the tool JSON', async () => {
		const parameters = {
			resource: 'image', operation: 'create', prompt: 'a lighthouse', modelType: 'sd-v1', width: 512, height: 512, numSamples: 1,
			waitForCompletion: true, downloadImages: true, simplify: false, options: { pollInterval: 0.2, timeout: 20 },
		};
		const { text } = await callTool(fake, parameters, {});
		const [job] = JSON.parse(text);
		expect(job).toMatchObject({ state: 'success', image_urls: [expect.any(String)] });
		expect(job.image_gen_results).toBeUndefined();
		expect(requestsTo(fake, 'GET', '/images/')).toHaveLength(0);
	});

	it('Job → Get and Get Many answer JSON only; a failed job carries its failure text; their descriptions say they are free', async () => {
		const training = fake.createJob({ type: 'dreambooth', outcome: 'success' });
		fake.finishJob(training.job_id, 'success');
		const failed = fake.createJob({ config: { prompt: 'x' } });
		fake.finishJob(failed.job_id, 'failure', { failure_reason: 'nsfw', failure_reason_data: { detail: 'NSFW content detected' } });

		const get = await callTool(fake, { resource: 'job', operation: 'get', jobId: "={{ $fromAI('job_id', 'The job_id to look up') }}", jobType: 'fromJobId', downloadImages: true }, { job_id: training.job_id });
		expect(get.description).toMatch(/^Looks up one Dreamlook job .* Free: it only reads/);
		const [trained] = JSON.parse(get.text);
		expect(trained).toMatchObject({ job_id: training.job_id, state: 'success', checkpoint_ids: [expect.stringMatching(/^ckp_/)] });

		const image = fake.createJob({ config: { prompt: 'a harbour', num_samples: 1 } });
		fake.finishJob(image.job_id, 'success');
		const getImage = await callTool(fake, { resource: 'job', operation: 'get', jobId: image.job_id, jobType: 'fromJobId', downloadImages: true, simplify: false }, {});
		const [imageJob] = JSON.parse(getImage.text);
		expect(imageJob).toMatchObject({ state: 'success', image_urls: [expect.any(String)], image_urls_expire_at: expect.any(String) });
		expect(requestsTo(fake, 'GET', '/images/')).toHaveLength(0);

		const getFailed = await callTool(fake, { resource: 'job', operation: 'get', jobId: failed.job_id, jobType: 'fromJobId' }, {});
		expect(JSON.parse(getFailed.text)[0]).toMatchObject({ state: 'failure', failure_reason: 'nsfw', failure_message: 'NSFW content detected' });

		const list = await callTool(fake, { resource: 'job', operation: 'getMany', jobType: 'all', state: 'all', returnAll: false, limit: 10 }, {});
		expect(list.description).toMatch(/^Lists Dreamlook jobs/);
		const jobs = JSON.parse(list.text);
		expect(jobs.map((job) => job.job_id).sort()).toEqual([training.job_id, failed.job_id, image.job_id].sort());
		expect(jobs.find((job) => job.job_id === image.job_id).image_urls_expire_at).toEqual(expect.any(String));
		expect(requestsTo(fake, 'GET', '/images/')).toHaveLength(0);
	});

	it('Checkpoint → Download gives the links and their expiry, downloads nothing', async () => {
		const training = fake.createJob({ type: 'dreambooth', config: { image_urls: ['https://example.com/a.jpg'], instance_prompt: 'x', extract_lora: 'original' } });
		fake.finishJob(training.job_id, 'success');
		const { description, text } = await callTool(fake, { resource: 'checkpoint', operation: 'download', jobId: training.job_id, checkpoints: 'all' }, {});
		expect(description).toMatch(/^Gives the download links .* Free: it only reads/);
		const [answer] = JSON.parse(text);
		expect(answer.state).toBe('success');
		const deletedByDefaultAt = new Date(Date.parse(`${fake.getJob(training.job_id).state_running_end.slice(0, 23)}Z`) + 48 * 3600_000).toISOString();
		expect(answer.checkpoints).toEqual([
			{ checkpoint_id: expect.stringMatching(/^ckp_/), is_extracted_lora: false, url: expect.any(String), url_expires_at: expect.any(String), deleted_by_default_at: deletedByDefaultAt },
			{ checkpoint_id: expect.stringMatching(/^ckp_/), is_extracted_lora: true, url: expect.any(String), url_expires_at: expect.any(String), deleted_by_default_at: deletedByDefaultAt },
		]);
		expect(requestsTo(fake, 'GET', '/checkpoints/')).toHaveLength(0);
	});

	it('a create that fails reaches the agent as an error text naming the field', async () => {
		const parameters = { resource: 'image', operation: 'create', prompt: 'x', modelType: 'sdxl-v1', width: 1024, height: 1024, numSamples: 1, additionalFields: { baseModel: 'realistic-vision-v5-1' } };
		const { text } = await callTool(fake, parameters, {});
		expect(text).toMatch(/^ERROR: Base Model: Realistic Vision 5\.1 is a Stable Diffusion 1\.5 model/);
		expect(requestsTo(fake, 'POST', '/image_gen')).toHaveLength(0);
	});
});
