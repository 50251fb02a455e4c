/**
 * Clean error texts for the trigger: no raw HTML from a proxy's error page, sentences that end
 * with a full stop and are separated by a space, and no advice about options the trigger does
 * not have. Pure.
 */

/** Text of an HTML (or XML) fragment, whitespace collapsed; plain text passes unchanged. */
export function plainText(value: string): string {
	let text = value;
	if (/<[a-z!/][^>]*>/i.test(text)) {
		text = text
			.replace(/<(script|style|head)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
			.replace(/<[^>]+>/g, ' ')
			.replace(/&nbsp;/g, ' ')
			.replace(/&amp;/g, '&')
			.replace(/&lt;/g, '<')
			.replace(/&gt;/g, '>')
			.replace(/&quot;/g, '"')
			.replace(/&#39;/g, "'");
	}
	return text.replace(/\s+/g, ' ').trim();
}

/** One or more sentences, ending with a full stop. */
export function sentence(value: string): string {
	const text = plainText(value);
	if (!text) return '';
	return /[.!?…:]$/.test(text) ? text.replace(/:$/, '.') : `${text}.`;
}

/** Sentences joined with single spaces, each ending with a full stop. */
export function sentences(...parts: Array<string | undefined | null>): string {
	return parts
		.map((part) => sentence(part ?? ''))
		.filter((part) => part.length > 0)
		.join(' ');
}

/** Advice that only fits the action node (the trigger has no Concurrency option). */
const NOT_FOR_THE_TRIGGER = [
	/,? ?or lower the node's Concurrency option/gi,
	/,? ?or lower the Concurrency option/gi,
	// the trigger's own hint says when it tries again
	/Wait a minute and run again\.? ?/gi,
];

/** The message and description of a poll's error, cleaned, with the trigger's hint once at the end. */
export function pollErrorText(
	message: string | undefined,
	description?: string | null,
	hint?: string,
): { message: string; description: string } {
	let text = plainText(description ?? '');
	for (const pattern of NOT_FOR_THE_TRIGGER) text = text.replace(pattern, '');
	if (hint) text = text.replace(hint, '');
	const cleanMessage = plainText(message ?? '').replace(/[.]$/, '') || 'The Dreamlook Trigger failed';
	return { message: cleanMessage, description: sentences(text, hint) };
}
