import type {
	ICredentialDataDecryptedObject,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

const REDIRECT_MESSAGE =
	"Dreamlook's API answered with a redirect; it was not followed and the API key was not sent there. " +
	'Set the Base URL to the final address (https://api.dreamlook.ai unless you use a proxy).';

export class DreamlookApi implements ICredentialType {
	name = 'dreamlookApi';

	displayName = 'Dreamlook API';

	icon: Icon = { light: 'file:../icons/dreamlook.svg', dark: 'file:../icons/dreamlook.dark.svg' };

	documentationUrl = 'https://dreamlook.ai/dashboard/api';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			placeholder: 'dl-0123456789abcdef0123456789abcdef',
			description: 'Your key from the dreamlook.ai dashboard (API page). It starts with "dl-".',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.dreamlook.ai',
			description:
				'Change only to go through a proxy or to test against a local fake Dreamlook API',
		},
	];

	/**
	 * A function, not the declarative `=Bearer {{…}}` form: n8n evaluates a declarative header
	 * expression on every request, which in n8n 2.x's expression sandbox cost about 0.85 ms of CPU
	 * per request (docs/decisions.md, "CPU per request"). Same header, same trimming: a key pasted
	 * with a trailing space or newline still works. The credential test goes through it too.
	 */
	async authenticate(credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		const apiKey = String(credentials.apiKey || '').trim();
		return { ...requestOptions, headers: { ...(requestOptions.headers ?? {}), Authorization: `Bearer ${apiKey}` } };
	}

	// A dry-run create is free (the API answers with a TEST_ id and starts nothing) but it
	// still needs a valid key, so it proves the key without spending tokens.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{String($credentials.baseUrl || "https://api.dreamlook.ai").trim().replace(/\\/+$/, "")}}',
			url: '/image_gen',
			method: 'POST',
			// A redirect is never followed: the key must not travel to another host (see the rules below).
			disableFollowRedirect: true,
			sendCredentialsOnCrossOriginRedirect: false,
			body: {
				prompt: 'n8n credential test',
				num_samples: 1,
				width: 512,
				height: 512,
				dry_run: true,
			},
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'Dreamlook rejected this API key. Copy it again from the dreamlook.ai dashboard (it starts with "dl-").',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message: 'Dreamlook refused this API key. Check that the key is active in the dreamlook.ai dashboard.',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 301,
					message: REDIRECT_MESSAGE,
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 302,
					message: REDIRECT_MESSAGE,
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 303,
					message: REDIRECT_MESSAGE,
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 307,
					message: REDIRECT_MESSAGE,
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 308,
					message: REDIRECT_MESSAGE,
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message: 'No Dreamlook API at this Base URL. Leave it at https://api.dreamlook.ai unless you use a proxy.',
				},
			},
		],
	};
}
