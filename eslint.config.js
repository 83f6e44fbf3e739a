// Lint: ESLint's recommended rules and typescript-eslint's type-checked ones (floating promises,
// unsafe `any`, unused values), over the sources, scripts and tests. `npm run lint`; CI runs it
// before the tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'test-artifacts/', 'scripts/bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // Each file is checked with the tsconfig that owns it (the demo page's has the DOM library).
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A leading underscore marks a parameter a signature needs but the body does not; a rest
      // sibling is how a property is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Stores implement Promise interfaces over synchronous backends (memory, better-sqlite3): `async`
    // is how a synchronous throw there becomes the rejection every caller handles.
    files: ['src/stores/**/*.ts', 'src/sql/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    // Plain JavaScript build helpers and fixtures: no type information to check against.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', globalThis: 'readonly' } },
  },
);
