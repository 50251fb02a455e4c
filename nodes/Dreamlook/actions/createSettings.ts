/**
 * The settings of a create operation beyond the request body, and which of them may differ per item:
 * - per item: Wait for Completion, Download Images, Simplify (each item's value is used);
 * - per run: Options (Timeout, Poll Interval, Concurrency, Max Image Size, Binary Property Prefix, …),
 *   since one wait, one deadline and one concurrency limit serve all items. An expression that gives
 *   different values for different items is an error naming the option, never silently ignored.
 */
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { DreamlookJob } from '../api/contract';
import { DEFAULT_MAX_CHECKPOINT_MB } from '../shared/checkpoints';
import { jobToJson } from '../shared/output';
import { isToolMode, toolJson } from '../shared/toolMode';
import { InputChecker } from '../shared/validate';
import { createOptionsField, type CreateOptions, readCreateOptions } from './common.descriptions';

export interface CreateSettingsSpec {
	waitByDefault: boolean;
	/** Whether the job produces images (and so offers Download Images). */
	producesImages: boolean;
	/** Whether the job produces trained checkpoints (and so offers Download Checkpoints). */
	producesCheckpoints?: boolean;
	timeoutSeconds: number;
	intervalSeconds: number;
}

export interface ItemSettings {
	wait: boolean;
	download: boolean;
	/** Download Checkpoints (training jobs, with Wait for Completion). */
	checkpoints: boolean;
	simplify: boolean;
	/** Run by an AI agent as a tool: JSON only (no binary), in the tool shape. */
	tool: boolean;
}

/**
 * One item's Wait for Completion, Download Images and Simplify, read fail-closed. As a tool, nothing
 * is downloaded (an agent gets JSON only: the image URLs and when they expire).
 */
export function readItemSettings(ctx: IExecuteFunctions, itemIndex: number, spec: CreateSettingsSpec): ItemSettings {
	const check = new InputChecker(ctx.getNode(), itemIndex);
	const tool = isToolMode(ctx);
	const wait = check.boolean('Wait for Completion', ctx.getNodeParameter('waitForCompletion', itemIndex, spec.waitByDefault), spec.waitByDefault);
	const download = !tool && spec.producesImages && wait && check.boolean('Download Images', ctx.getNodeParameter('downloadImages', itemIndex, true), true);
	const checkpoints =
		!tool && spec.producesCheckpoints === true && wait && check.boolean('Download Checkpoints', ctx.getNodeParameter('downloadCheckpoints', itemIndex, false));
	const simplify = check.boolean('Simplify', ctx.getNodeParameter('simplify', itemIndex, true), true);
	return { wait, download, checkpoints, simplify, tool };
}

/** An item's JSON for a finished job: the tool shape as a tool, else simplified or whole. */
export function jobOutput(job: DreamlookJob, settings: Pick<ItemSettings, 'simplify' | 'tool'>): IDataObject {
	return settings.tool ? toolJson(job) : jobToJson(job, settings.simplify);
}

/** The training operations' extra run option (Options → Max Checkpoint Size). */
export const maxCheckpointSizeOption: INodeProperties = {
	displayName: 'Max Checkpoint Size (MB)',
	name: 'maxCheckpointSizeMb',
	type: 'number',
	typeOptions: { minValue: 1 },
	default: DEFAULT_MAX_CHECKPOINT_MB,
	description: 'Largest checkpoint accepted by Download Checkpoints; a bigger one fails its item instead of filling the disk',
};

/** The create Options collection with the checkpoint size option, kept in alphabetical order. */
export function withCheckpointOption(collection: INodeProperties): INodeProperties {
	const options = [...((collection.options ?? []) as INodeProperties[]), maxCheckpointSizeOption];
	options.sort((a, b) => a.displayName.localeCompare(b.displayName));
	return { ...collection, options };
}

function optionLabel(key: string): string {
	const option = [...(createOptionsField({}, 1, 1).options ?? []), maxCheckpointSizeOption].find((candidate) => candidate.name === key);
	return option && 'displayName' in option ? option.displayName : key;
}

function shown(value: unknown): string {
	if (value === undefined) return 'not set';
	return (typeof value === 'string' ? `"${value}"` : String(JSON.stringify(value))).slice(0, 60);
}

/** The run's Options: read for every item, and an error if an item's differ from the first item's. */
export function readRunOptions(ctx: IExecuteFunctions, itemCount: number, spec: CreateSettingsSpec): CreateOptions & { maxCheckpointBytes: number } {
	const optionsOf = (itemIndex: number) => ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const first = optionsOf(0);
	for (let itemIndex = 1; itemIndex < itemCount; itemIndex++) {
		const other = optionsOf(itemIndex);
		for (const key of new Set([...Object.keys(first), ...Object.keys(other)])) {
			if (JSON.stringify(first[key]) === JSON.stringify(other[key])) continue;
			throw new NodeOperationError(
				ctx.getNode(),
				`${optionLabel(key)}: must be the same for every item (item 1: ${shown(first[key])}, item ${itemIndex + 1}: ${shown(other[key])})`,
				{
					itemIndex,
					description:
						'Options apply to the whole run: one wait, one deadline and one concurrency limit serve all items. ' +
						'Use a value that does not depend on the item, or run the items separately (e.g. Loop Over Items) if they need different options.',
				},
			);
		}
	}
	const maxCheckpointMb = typeof first.maxCheckpointSizeMb === 'number' && first.maxCheckpointSizeMb > 0 ? first.maxCheckpointSizeMb : DEFAULT_MAX_CHECKPOINT_MB;
	return { ...readCreateOptions(first, spec.timeoutSeconds, spec.intervalSeconds), maxCheckpointBytes: Math.round(maxCheckpointMb * 1024 * 1024) };
}
