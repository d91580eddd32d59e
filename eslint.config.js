// @ts-check
// Runs in `npm test` (npm run lint). Type-aware: exhaustive switches are checked against the unions they switch on.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'test/browser/pages/**'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A `let` assigned once after closures that read it (a connection wired to its own callbacks) stays a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              importNames: ['ipcMain', 'ipcRenderer'],
              message: 'IPC goes through main/electron/ipc.ts (main side) and preload.ts (renderer side): sender checks and schema validation live there.',
            },
          ],
        },
      ],
    },
  },
  { files: ['main/electron/ipc.ts', 'main/electron/preload.ts'], rules: { 'no-restricted-imports': 'off' } },
);
