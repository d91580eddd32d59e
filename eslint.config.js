// @ts-check
// Runs in `npm test` (npm run lint). Type-aware: exhaustive switches are checked against the unions they switch on.
import tseslint from 'typescript-eslint';

/** Record fields whose values are option sets: written by name, never by number. */
const OPTION_FIELDS = '/^(statuscode|statecode|runmode|triggertype|preferredqueuingtype|category)$/';
/** SQL comparing such a field with a number. */
const NUMERIC_SQL = '/(statuscode|statecode|runmode|triggertype)\\s*(=|<>|!=|IN)\\s*\\(?\\s*[0-9]/i';
/** Text in an SQL dialect (upper-case keywords, as the store writes them): only orchestrator/store/ holds any. */
const SQL_TEXT = '/\\bCOLLATE\\b|\\bIN\\s*\\(|\\bLIKE\\b|\\bIS (NOT )?NULL\\b|\\bSELECT\\b.*\\bFROM\\b|\\bUPDATE\\b.*\\bSET\\b|\\bINSERT INTO\\b|\\bDELETE FROM\\b|\\bWHERE\\b|\\bORDER BY\\b/';

const statusByName = [
  `Property[key.name=${OPTION_FIELDS}][value.type='Literal']`,
  `Property[key.value=${OPTION_FIELDS}][value.type='Literal']`,
  `Property[key.name=${OPTION_FIELDS}] > ConditionalExpression > Literal`,
  `BinaryExpression[operator=/^[!=]==?$/][right.raw=/^[0-9]+$/]:has(:matches(Identifier[name=${OPTION_FIELDS}], Literal[value=${OPTION_FIELDS}]))`,
  `Literal[value=${NUMERIC_SQL}]`,
  `TemplateElement[value.raw=${NUMERIC_SQL}]`,
].map((selector) => ({ selector, message: 'Write a status, state or mode by its name (shared/option-sets.ts), not its number.' }));

const noSqlOutsideStore = [`Literal[value=${SQL_TEXT}]`, `TemplateElement[value.raw=${SQL_TEXT}]`].map((selector) => ({
  selector,
  message: 'SQL lives in orchestrator/store/ only: add an intent-named repository method there (orchestrator/store/README.md).',
}));

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
  {
    // Statuses by name (shared/option-sets.ts), never by number, in production code; SQL interpolates the names.
    files: ['shared/**/*.ts', 'main/**/*.ts', 'orchestrator/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...statusByName] },
  },
  {
    // The orchestrator's SQL stays behind the store interface, so another engine (PostgreSQL) can implement it.
    files: ['orchestrator/**/*.ts'],
    ignores: ['orchestrator/store/**'],
    rules: { 'no-restricted-syntax': ['error', ...statusByName, ...noSqlOutsideStore] },
  },
  {
    // The store answers asynchronously (a PostgreSQL store really does): every promise is awaited or its rejection
    // handled, so no input can end the process with an unhandled rejection, and none stands where a value is meant.
    files: ['orchestrator/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'error', '@typescript-eslint/no-misused-promises': 'error' },
  },
);
