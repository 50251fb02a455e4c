// tsc compiles the sources; the icons go to dist/icons, where the compiled node and credential
// point (`file:../../icons/...`), exactly as the sources point at the top-level icons/ folder.
const { src, dest } = require('gulp');

function copyIcons() {
	return src('icons/*.svg').pipe(dest('dist/icons'));
}

exports['build:icons'] = copyIcons;
exports.default = copyIcons;
