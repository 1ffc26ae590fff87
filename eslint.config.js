import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { createRequire } from 'node:module';

const { SQL_OWNERS } = createRequire(import.meta.url)('./scripts/sql-owners.cjs');
const DROPPED_TRANSITION = {
  selector: "ExpressionStatement > AwaitExpression > CallExpression[callee.name='applyTransition']",
  message:
    'Use the result of applyTransition (a refusal is returned, not thrown), or call transitionIfAllowed() where a refusal is expected.',
};
const NO_SQL = [
  {
    selector: 'CallExpression[callee.property.name=/^(selectFrom|updateTable|insertInto|deleteFrom|replaceInto|mergeInto)$/]',
    message: 'No SQL here: call a repository or read model (scripts/sql-owners.cjs, docs/ARCHITECTURE.md).',
  },
  {
    selector: "CallExpression[callee.name='preparedInsert']",
    message: 'No SQL here: call a repository or read model (scripts/sql-owners.cjs).',
  },
  {
    selector: "TaggedTemplateExpression[tag.name='sql']",
    message: 'No SQL here: call a repository or read model (scripts/sql-owners.cjs).',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'dist/', 'web/dist/', 'coverage/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // A refused transition is returned, not thrown: dropping the result would hide it. Use it, or say the refusal is
    // expected with transitionIfAllowed(). Outside the modules that own SQL (scripts/sql-owners.cjs), no SQL either:
    // services, HTTP routes, the CLI, the runtime and the loop call a repository or a read model.
    files: ['src/**/*.ts'],
    ignores: [...SQL_OWNERS, 'src/**/*.test.ts'],
    rules: { 'no-restricted-syntax': ['error', DROPPED_TRANSITION, ...NO_SQL] },
  },
  {
    files: [...SQL_OWNERS, 'src/**/*.test.ts'],
    rules: { 'no-restricted-syntax': ['error', DROPPED_TRANSITION] },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['web/**/*.{ts,tsx}', 'bench/ui.mjs', 'scripts/*.mjs'],
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        localStorage: 'readonly',
        location: 'readonly',
        fetch: 'readonly',
        EventSource: 'readonly',
        URLSearchParams: 'readonly',
        File: 'readonly',
        BodyInit: 'readonly',
        HTMLDivElement: 'readonly',
        console: 'readonly',
        process: 'readonly',
      },
    },
  },
);
