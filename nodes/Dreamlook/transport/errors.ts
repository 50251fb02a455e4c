import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { errorBodySchema } from '../api/contract';
import { redactDeep, redactText } from './redact';

/** What went wrong with one request, already stripped of secrets. */
export interface FailedRequest {
	method: string;
	path: string;
	/** What the request was for, e.g. "create an image job". */
	action: string;
	status?: number;
	body?: unknown;
	networkCode?: string;
	attempts: number;
	/** The POST may have reached the server: not retried, and the user must check. */
	outcomeUnknown?: boolean;
	apiKey?: string;
	baseUrl?: string;
	itemIndex?: number;
}

/** The API's `detail` as readable text: a string, or FastAPI's list of invalid fields. */
export function describeDetail(body: unknown): string | undefined {
	const parsed = errorBodySchema.safeParse(body);
	if (!parsed.success) return typeof body === 'string' && body.trim() ? body.trim().slice(0, 500) : undefined;
	const detail = parsed.data.detail;
	if (typeof detail === 'string') return detail;
	if (Array.isArray(detail)) {
		return detail
			.map((entry) => {
				const field = (entry.loc ?? []).filter((part) => part !== 'body').join('.');
				return field ? `${field}: ${entry.msg ?? 'invalid'}` : (entry.msg ?? 'invalid');
			})
			.join('; ');
	}
	if (detail) return JSON.stringify(detail);
	return undefined;
}

function explain(failure: FailedRequest, detail: string | undefined): { message: string; description: string } {
	const { status, action, attempts } = failure;
	const apiSaid = detail ? ` Dreamlook said: ${detail}` : '';
	const retried = attempts > 1 ? ` (tried ${attempts} times)` : '';
	if (failure.outcomeUnknown) {
		return {
			message: `No answer from Dreamlook while trying to ${action}: the job may or may not have been created`,
			description:
				'This request was not retried automatically because a second attempt could start a second paid job. ' +
				'Check the job list (Job → Get Many) before running this item again.' +
				(failure.networkCode ? ` Network error: ${failure.networkCode}.` : ''),
		};
	}
	if (status === undefined) {
		return {
			message: `Could not reach Dreamlook to ${action}${retried}`,
			description: `Network error ${failure.networkCode ?? 'unknown'} for ${failure.baseUrl ?? 'the API'}. Check the Base URL in the Dreamlook credential and the network of your n8n instance.`,
		};
	}
	if (status === 401 || status === 403) {
		return {
			message: 'Dreamlook rejected the API key',
			description: `Check the API key in the Dreamlook credential: copy it again from the dreamlook.ai dashboard (it starts with "dl-").${apiSaid}`,
		};
	}
	if (status === 402 || /\b(tokens?|credits?|balance)\b/i.test(detail ?? '')) {
		return {
			message: 'Not enough Dreamlook tokens for this job',
			description: `Top up your dreamlook.ai account, or lower the number of samples or training steps.${apiSaid}`,
		};
	}
	if (status === 404) {
		return {
			message: `Dreamlook found nothing at ${failure.path}`,
			description: `Check the job ID and the job type. Dry-run jobs (IDs starting with TEST_) are never stored.${apiSaid}`,
		};
	}
	if (status === 422 || status === 400) {
		return {
			message: `Dreamlook rejected the request to ${action}: ${detail ?? 'invalid input'}`,
			description: 'Correct the fields named above and run again. Nothing was charged.',
		};
	}
	if (status === 429) {
		return {
			message: `Dreamlook is rate limiting requests${retried}`,
			description: `Wait a minute and run again, or lower the node's Concurrency option.${apiSaid}`,
		};
	}
	if (status >= 500) {
		return {
			message: `Dreamlook had a server error (HTTP ${status}) while trying to ${action}${retried}`,
			description: `This is on Dreamlook's side; try again later.${apiSaid}`,
		};
	}
	return {
		message: `Dreamlook answered HTTP ${status} while trying to ${action}`,
		description: detail ? `Dreamlook said: ${detail}` : 'No detail was given.',
	};
}

export function toNodeApiError(node: INode, failure: FailedRequest): NodeApiError {
	const safeBody = redactDeep(failure.body, failure.apiKey);
	const detail = describeDetail(safeBody);
	const { message, description } = explain(failure, detail);
	const errorResponse: JsonObject = {
		method: failure.method,
		path: failure.path,
		httpCode: failure.status ?? null,
		networkCode: failure.networkCode ?? null,
		attempts: failure.attempts,
		body: (safeBody ?? null) as JsonObject,
	};
	return new NodeApiError(node, errorResponse, {
		message: redactText(message, failure.apiKey),
		description: redactText(description, failure.apiKey),
		httpCode: failure.status !== undefined ? String(failure.status) : undefined,
		itemIndex: failure.itemIndex,
	});
}
