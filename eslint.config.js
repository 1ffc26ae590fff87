import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
    // expected with transitionIfAllowed().
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ExpressionStatement > AwaitExpression > CallExpression[callee.name='applyTransition']",
          message:
            'Use the result of applyTransition (a refusal is returned, not thrown), or call transitionIfAllowed() where a refusal is expected.',
        },
      ],
    },
  },
  {
    // The edges of the house only validate, call and shape: SQL lives with the storage, repositories and read models
    // (docs/ARCHITECTURE.md), never in an HTTP route, a CLI command, the runtime or the order loop.
    files: ['src/http/**/*.ts', 'src/cli/**/*.ts', 'src/runtime/**/*.ts', 'src/loop/**/*.ts', 'src/app.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.property.name=/^(selectFrom|updateTable|insertInto|deleteFrom|replaceInto|mergeInto)$/]',
          message: 'No SQL here: call a repository or read model (docs/ARCHITECTURE.md).',
        },
        {
          selector: "TaggedTemplateExpression[tag.name='sql']",
          message: 'No SQL here: call a repository or read model (docs/ARCHITECTURE.md).',
        },
      ],
    },
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
