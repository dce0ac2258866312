import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/application/**', '**/infrastructure/**', '**/projections/**'],
              message: 'domain/ imports nothing outside itself.',
            },
            {
              group: ['express', 'mongodb', 'better-sqlite3', '@eventstore/*', 'inversify', 'pino', 'node:*'],
              message: 'domain/ is pure: no I/O or frameworks.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['application/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/infrastructure/**'], message: 'application/ must not depend on infrastructure/.' },
            {
              group: ['express', 'mongodb', 'better-sqlite3', '@eventstore/*'],
              message: 'application/ talks to the world through ports.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['projections/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/infrastructure/**'],
              message: 'projections/ depend on domain/ and the read-model port only.',
            },
          ],
        },
      ],
    },
  },
);
