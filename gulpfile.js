// Copies the node and credential icons and the nodes' codex files (<Node>.node.json) next to the
// bundled JavaScript in dist/: n8n resolves `icon: 'file:...'` relative to the node or credential
// file, and reads a node's codex (categories, documentation links) from the node file's folder.
// The file list is shared with bench/variant.ts (scripts/build-options.mjs).
const { src, dest } = require('gulp');

const { ASSET_GLOBS } = require('./scripts/build-options.mjs');

function buildIcons() {
	return src(ASSET_GLOBS, { base: '.', encoding: false }).pipe(dest('dist'));
}

exports['build:icons'] = buildIcons;
exports.default = buildIcons;
