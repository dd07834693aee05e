// Lint for the whole repository (run by npm test): the recommended JavaScript and TypeScript rules,
// and the house rules of scripts/eslint/boundaries.mjs (the walls between features and packages).
// Formatting is prettier's job (.prettierrc.json), not the linter's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import boundaries from './scripts/eslint/boundaries.mjs';

export default tseslint.config(
  {
    ignores: ['**/node_modules/', '**/dist/', 'coverage/', 'libs/sdk/src/generated/', 'test-output/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'agent-p2p': boundaries },
    rules: {
      'agent-p2p/feature-boundaries': 'error',
      'agent-p2p/package-boundaries': 'error',
      // Peer text is scrubbed of control characters on purpose: those regexes match them.
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // CommonJS entry points (the CLI's launcher, the migration generator run by TypeORM's CLI).
    files: ['**/*.cjs', 'apps/bridge/bin/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // A Portal file holds one job: past 400 lines it is time to split it along its jobs.
    files: ['apps/portal/src/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 400 }] },
  },
  {
    files: ['apps/console/src/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
