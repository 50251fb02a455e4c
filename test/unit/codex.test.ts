/**
 * Issue 12, "found in the editor": n8n's node creator must list Dreamlook as an app node (its actions and
 * its trigger under one entry, with its own description), not under an AI sub-node category.
 * What the editor does is read off n8n's editor-ui (nodeCreator/composables/useActionsGeneration.ts):
 * a trigger named `<app>Trigger` is merged into the app `<app>`, the entry shows the *trigger's*
 * description, and its actions are the app's operations (`action` texts) plus the trigger's Event options.
 */
import type { INodeProperties, INodePropertyOptions, INodeTypeDescription } from 'n8n-workflow';

import { Dreamlook } from '../../nodes/Dreamlook/Dreamlook.node';
import codex from '../../nodes/Dreamlook/Dreamlook.node.json';
import { DreamlookTrigger } from '../../nodes/Dreamlook/DreamlookTrigger.node';
import triggerCodex from '../../nodes/Dreamlook/DreamlookTrigger.node.json';
import instantCodex from '../../nodes/Dreamlook/DreamlookInstantTrigger.node.json';

/** App-node categories used by n8n-nodes-base 2.41's own app nodes (none of them a sub-node category). */
const APP_CATEGORIES = ['Analytics', 'Communication', 'Data & Storage', 'Development', 'Finance & Accounting', 'Marketing', 'Miscellaneous', 'Productivity', 'Sales', 'Utility'];

const app = new Dreamlook().description;
const trigger = new DreamlookTrigger().description;

function options(property: INodeProperties | undefined): INodePropertyOptions[] {
	return (property?.options ?? []) as INodePropertyOptions[];
}

/** The node creator's entry for a package's app + trigger pair (its merge, reduced to what we check). */
function nodeCreatorEntry(appNode: INodeTypeDescription, triggerNode: INodeTypeDescription) {
	const merged = triggerNode.name.replace('Trigger', '') === appNode.name;
	const operations = appNode.properties.filter((property) => property.name === 'operation').flatMap((property) => options(property).map((option) => option.action ?? option.name));
	const events = options(triggerNode.properties.find((property) => ['event', 'events', 'trigger on'].includes(property.displayName.toLowerCase())));
	return { merged, description: merged ? triggerNode.description : appNode.description, actions: operations, triggers: events.map((event) => `On ${event.name.toLowerCase()}`) };
}

describe('codex: Dreamlook is an app node in the node creator', () => {
	it.each([
		['Dreamlook.node.json', codex],
		['DreamlookTrigger.node.json', triggerCodex],
		['DreamlookInstantTrigger.node.json', instantCodex],
	])('%s has app categories only and no AI (sub-node) subcategory', (_file, file: Record<string, unknown>) => {
		const categories = file.categories as string[];
		expect(categories.length).toBeGreaterThan(0);
		for (const category of categories) expect(APP_CATEGORIES).toContain(category);
		expect(categories).not.toContain('AI');
		expect(categories).not.toContain('Core Nodes');
		const subcategories = (file.subcategories ?? {}) as Record<string, string[]>;
		expect(subcategories.AI ?? []).toEqual([]);
		expect(Object.keys(subcategories)).toEqual([]);
	});

	it('the node and its codex agree on the node type', () => {
		expect(codex.node).toBe(`n8n-nodes-dreamlook.${app.name}`);
		expect(triggerCodex.node).toBe(`n8n-nodes-dreamlook.${trigger.name}`);
	});

	it('one entry: the node\'s own description, its actions and its trigger events under it', () => {
		const entry = nodeCreatorEntry(app, trigger);
		expect(entry.merged).toBe(true);
		expect(entry.description).toBe(app.description);
		expect(entry.description).not.toMatch(/^Starts the workflow/);
		expect(entry.actions).toEqual(['Download checkpoint', 'Create image job', 'Create training job', 'Train a model and generate images with it', 'Get job', 'List jobs']);
		expect(entry.triggers).toEqual(['On job failed', 'On job finished (any terminal state)', 'On job succeeded']);
		expect(app.group).not.toContain('trigger');
		expect(trigger.group).toContain('trigger');
	});
});
