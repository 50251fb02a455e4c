/** The trigger's error texts: clean sentences, no raw HTML, only advice the trigger can follow. */
import { plainText, pollErrorText, sentences } from '../../nodes/Dreamlook/trigger/messages';

const HINT = 'The trigger tries again at the next poll.';

describe('trigger messages', () => {
	it('strips a proxy HTML page down to its text', () => {
		const html = '<html><head><title>502</title><style>h1{}</style></head><body><h1>502 Bad Gateway</h1><hr><center>nginx</center></body></html>';
		expect(plainText(html)).toBe('502 Bad Gateway nginx');
		const text = pollErrorText('Dreamlook had a server error (HTTP 502)', `Dreamlook said: ${html}`, HINT);
		expect(text.description).toBe(`Dreamlook said: 502 Bad Gateway nginx. ${HINT}`);
		expect(text.description).not.toMatch(/[<>]/);
	});

	it('ends every sentence and separates them with one space', () => {
		expect(sentences('one', 'two.', undefined, '  three  ')).toBe('one. two. three.');
		expect(pollErrorText('x', 'Something broke', HINT).description).toBe(`Something broke. ${HINT}`);
	});

	it('drops advice about options the trigger does not have, and keeps the hint once', () => {
		const text = pollErrorText('Dreamlook is rate limiting requests', `Wait a minute and run again, or lower the node's Concurrency option. ${HINT}`, HINT);
		expect(text.description).not.toMatch(/Concurrency|run again/);
		expect(text.description.split(HINT)).toHaveLength(2);
	});
});
