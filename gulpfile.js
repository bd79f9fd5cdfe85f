// Copies node and credential icons next to the bundled JavaScript in dist/,
// where n8n resolves `icon: 'file:...'` relative to the node or credential file.
const { src, dest } = require('gulp');

function buildIcons() {
	return src(['nodes/**/*.{png,svg}', 'credentials/**/*.{png,svg}'], { base: '.', encoding: false }).pipe(
		dest('dist'),
	);
}

exports['build:icons'] = buildIcons;
exports.default = buildIcons;
