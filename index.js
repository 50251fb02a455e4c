// Entry point for this repository's scripts (bench, e2e, dev): the compiled node and credential
// classes from dist/ (run `npm run build` first). n8n itself never loads this file: it reads the
// "n8n" section of package.json, and this file is not part of the published package.
module.exports = {
	get Dreamlook() {
		return require('./dist/nodes/Dreamlook/Dreamlook.node.js').Dreamlook;
	},
	get DreamlookApi() {
		return require('./dist/credentials/DreamlookApi.credentials.js').DreamlookApi;
	},
};
