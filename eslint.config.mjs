// n8n's own rules for community node packages (the recommended config), over the node and
// credential sources and package.json. Tests, emulators and scripts are not shipped and not linted here.
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import * as jsoncParser from 'jsonc-eslint-parser';
import tseslint from 'typescript-eslint';

export default [
	{ ignores: ['dist/**', 'node_modules/**', 'test/**', 'bench/**', 'scripts/**', 'examples/**', '.n8n-e2e/**'] },
	{
		files: ['**/*.ts'],
		languageOptions: { parser: tseslint.parser, parserOptions: { project: './tsconfig.json' } },
	},
	{ files: ['package.json'], languageOptions: { parser: jsoncParser } },
	n8nCommunityNodesPlugin.configs.recommended,
];
