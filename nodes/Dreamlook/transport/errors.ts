import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { errorBodySchema } from '../api/contract';
import { redactDeep, redactText, safeUrl, type Secrets, urlSecrets } from './redact';
import { isNetworkCode, isTimeoutCode } from './retry';

/** What went wrong with one request, already stripped of secrets. */
export interface FailedRequest {
	method: string;
	path: string;
	/** What the request was for, e.g. "create an image job". */
	action: string;
	status?: number;
	body?: unknown;
	networkCode?: string;
	/** The thrown error's own message, for failures that are neither HTTP nor network (redacted here). */
	errorMessage?: string;
	attempts: number;
	/** The POST may have reached the server: not retried, and the user must check. */
	outcomeUnknown?: boolean;
	/** A 3xx: the host (and port) the API pointed to, never its path, query or userinfo. */
	redirectHost?: string;
	/** The caller's deadline (the node's Timeout) ended the retries. */
	deadlineReached?: boolean;
	/** Per-attempt timeout, for "no answer within … s". */
	timeoutMs?: number;
	apiKey?: string;
	baseUrl?: string;
	itemIndex?: number;
}

const CHECK_BEFORE_RERUN =
	'Check Job → Get Many or the dreamlook.ai dashboard before running this item again: ' +
	'this request was not repeated automatically, because a second attempt could start a second paid job.';

/** The key and the Base URL's userinfo: everything that must never be shown. */
function secretsOf(failure: { apiKey?: string; baseUrl?: string }): Secrets {
	return [failure.apiKey, ...urlSecrets(failure.baseUrl)];
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

/** Why an ambiguous create failed, as the start of a sentence ("… while trying to create a job"). */
function ambiguousReason(failure: FailedRequest): string {
	const { status, networkCode } = failure;
	if (status !== undefined && status >= 500) return `Dreamlook had a server error (HTTP ${status})`;
	if (status === 408) return 'Dreamlook timed out (HTTP 408)';
	if (status !== undefined) return `Dreamlook's answer (HTTP ${status}) could not be read`;
	if (isTimeoutCode(networkCode)) {
		return failure.timeoutMs !== undefined
			? `No answer from Dreamlook within ${Math.round(failure.timeoutMs / 1000)} s`
			: 'No answer from Dreamlook in time';
	}
	return 'No answer from Dreamlook';
}

function explain(failure: FailedRequest, detail: string | undefined): { message: string; description: string } {
	const { status, action, attempts } = failure;
	const apiSaid = detail ? ` Dreamlook said: ${detail}` : '';
	const retried = attempts > 1 ? ` (tried ${attempts} times)` : '';
	const where = failure.baseUrl ? safeUrl(failure.baseUrl) : 'the API';
	if (status !== undefined && status >= 300 && status < 400) {
		const target = failure.redirectHost ?? 'another address';
		const notSent =
			failure.method === 'POST'
				? ` The request to ${action} was not followed there, so nothing was sent to ${target}.`
				: ` The request was not followed and the API key was not sent to ${target}.`;
		return {
			message: `Dreamlook's API answered with a redirect to ${target}; the request was not followed`,
			description:
				'Set the Base URL in the Dreamlook credential to the final address (https://api.dreamlook.ai unless you use a proxy); ' +
				`if a proxy moved, use its new address.${notSent}`,
		};
	}
	if (failure.outcomeUnknown) {
		const extra = [
			failure.networkCode ? ` Network error: ${failure.networkCode}.` : '',
			apiSaid,
		].join('');
		return {
			message: `${ambiguousReason(failure)} while trying to ${action}: the job may have been created`,
			description: `${CHECK_BEFORE_RERUN}${extra}`,
		};
	}
	if (status === undefined) {
		const code = failure.networkCode;
		if (isTimeoutCode(code)) {
			const within = failure.timeoutMs !== undefined ? ` within ${Math.round(failure.timeoutMs / 1000)} s` : '';
			return {
				message: `No answer from Dreamlook${within} while trying to ${action}${retried}`,
				description: `Network error ${code} for ${where}. Dreamlook may be slow or unreachable from your n8n instance; check the Base URL in the Dreamlook credential.`,
			};
		}
		if (isNetworkCode(code)) {
			return {
				message: `Could not reach Dreamlook to ${action}${retried}`,
				description: `Network error ${code} for ${where}. Check the Base URL in the Dreamlook credential and the network of your n8n instance.`,
			};
		}
		if (code === 'ERR_INVALID_URL' || code === 'ERR_INVALID_PROTOCOL' || code === 'ERR_UNSUPPORTED_PROTOCOL') {
			return {
				message: 'The Base URL in the Dreamlook credential is not a usable URL',
				description: `Set it to https://api.dreamlook.ai (or your proxy's http(s) address). Error: ${code}.`,
			};
		}
		const said = failure.errorMessage ? `: ${failure.errorMessage.slice(0, 300)}` : '';
		return {
			message: `The request to ${action} failed${retried}`,
			description: `Unexpected error${code ? ` ${code}` : ''}${said}. Base URL: ${where}.`,
		};
	}
	if (status === 401 || status === 403) {
		return {
			message: 'Dreamlook rejected the API key',
			description: `Check the API key in the Dreamlook credential: copy it again from the dreamlook.ai dashboard (it starts with "dl-").${apiSaid}`,
		};
	}
	if (status !== undefined && status < 500 && /validate_token_cost/i.test(detail ?? '')) {
		return {
			message: 'Dreamlook refused the job: its token cost differs from the Expected Token Cost',
			description: `Nothing was charged. Run the item with Dry Run on to see the cost, then correct "Expected Token Cost" (0 = no check).${apiSaid}`,
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

const DEADLINE_MARK = 'dreamlookDeadlineReached';

function withDeadline(text: { message: string; description: string }): { message: string; description: string } {
	return {
		message: `${text.message}; the Timeout was reached`,
		description: `The node's Timeout ended before another attempt could be made. ${text.description}`,
	};
}

export function toNodeApiError(node: INode, failure: FailedRequest): NodeApiError {
	const secrets = secretsOf(failure);
	const isRedirect = failure.status !== undefined && failure.status >= 300 && failure.status < 400;
	// A redirect's body usually repeats the full target address (path, query): not kept.
	const safeBody = isRedirect ? null : redactDeep(failure.body, secrets);
	const safeFailure: FailedRequest = {
		...failure,
		errorMessage: failure.errorMessage === undefined ? undefined : redactText(failure.errorMessage, secrets),
	};
	const detail = describeDetail(safeBody);
	const nothingSent = failure.status === undefined && failure.networkCode === undefined && failure.errorMessage === undefined;
	let text = explain(safeFailure, detail);
	if (failure.deadlineReached && nothingSent) {
		text = {
			message: `The Timeout was reached before Dreamlook could be asked to ${failure.action}`,
			description: "Nothing was sent. Raise the node's Timeout if Dreamlook needs longer.",
		};
	} else if (failure.deadlineReached) text = withDeadline(text);
	const errorResponse: JsonObject = {
		method: failure.method,
		path: failure.path,
		httpCode: failure.status ?? null,
		networkCode: failure.networkCode ?? null,
		attempts: failure.attempts,
		body: (safeBody ?? null) as JsonObject,
	};
	if (failure.redirectHost) errorResponse.redirectHost = failure.redirectHost;
	if (failure.outcomeUnknown) errorResponse.outcomeUnknown = true;
	if (failure.deadlineReached) errorResponse.deadlineReached = true;
	const error = new NodeApiError(node, errorResponse, {
		message: redactText(text.message, secrets),
		description: redactText(text.description, secrets),
		httpCode: failure.status !== undefined ? String(failure.status) : undefined,
		itemIndex: failure.itemIndex,
	});
	if (failure.deadlineReached) error.context[DEADLINE_MARK] = true;
	if (failure.outcomeUnknown) error.context.dreamlookOutcomeUnknown = true;
	return error;
}

/** Whether this error ended retries because the caller's deadline (the node's Timeout) was reached. */
export function isDeadlineError(error: unknown): boolean {
	if (!(error instanceof NodeApiError)) return false;
	return error.context?.[DEADLINE_MARK] === true || (error.errorResponse as JsonObject | undefined)?.deadlineReached === true;
}

/** Whether this error says a create may have started a job (never run the item again blindly). */
export function isOutcomeUnknownError(error: unknown): boolean {
	if (!(error instanceof NodeApiError)) return false;
	return error.context?.dreamlookOutcomeUnknown === true || (error.errorResponse as JsonObject | undefined)?.outcomeUnknown === true;
}

/**
 * A create whose outcome is unknown: the job may exist. For callers that find out after the
 * request itself succeeded, e.g. a 2xx create answer without a readable job_id.
 * `reason` starts the message: "Dreamlook's answer had no job ID" →
 * "Dreamlook's answer had no job ID while trying to create an image job: the job may have been created".
 */
export function mayExistError(
	node: INode,
	options: { action: string; itemIndex?: number; reason: string; body?: unknown; apiKey?: string },
): NodeApiError {
	const secrets: Secrets = [options.apiKey];
	const safeBody = redactDeep(options.body, secrets);
	const errorResponse: JsonObject = { method: 'POST', outcomeUnknown: true, body: (safeBody ?? null) as JsonObject };
	const error = new NodeApiError(node, errorResponse, {
		message: redactText(`${options.reason} while trying to ${options.action}: the job may have been created`, secrets),
		description: CHECK_BEFORE_RERUN,
		itemIndex: options.itemIndex,
	});
	error.context.dreamlookOutcomeUnknown = true;
	return error;
}
