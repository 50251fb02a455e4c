// n8n loads the compiled files listed in package.json's "n8n" section; this entry
// point only exists so that `require('n8n-nodes-dreamlook')` resolves.
module.exports = {};
