// tsc compiles the sources; icons must sit beside the compiled node and credential
// files because n8n resolves `file:` icons relative to them.
const { src, dest, parallel } = require('gulp');

function copyNodeIcons() {
	return src('icons/*.svg').pipe(dest('dist/nodes/Dreamlook'));
}

function copyCredentialIcons() {
	return src('icons/*.svg').pipe(dest('dist/credentials'));
}

exports['build:icons'] = parallel(copyNodeIcons, copyCredentialIcons);
exports.default = exports['build:icons'];
