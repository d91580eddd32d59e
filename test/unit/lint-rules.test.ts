import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');

/** The project's own ESLint config over a scratch tree laid out like the repository (type-aware, so tsconfigs too). */
const files: Record<string, string> = {
  'shared/status.ts': "export type Status = 'Waiting' | 'Running' | 'Done';\n",
  'main/agent/exhaustive.ts': [
    "import type { Status } from '../../shared/status.js';",
    'export function label(s: Status): string {',
    '  switch (s) {',
    "    case 'Waiting':",
    "      return 'w';",
    "    case 'Running':",
    "      return 'r';",
    '  }',
    "  return '?';",
    '}',
    '',
  ].join('\n'),
  'main/agent/status-number.ts': [
    'export const cancelled = { statuscode: 7 };',
    "export const isWaiting = (row: Record<string, unknown>) => Number(row['statuscode']) === 3;",
    "export const waiting = 'SELECT id FROM sessions WHERE statuscode = 3';",
    '',
  ].join('\n'),
  'main/agent/status-name.ts': [
    "const SessionStatus = { v: { Waiting: 3 } } as const;",
    "export const isWaiting = (row: Record<string, unknown>) => Number(row['statuscode']) === SessionStatus.v.Waiting;",
    'export const waiting = `SELECT id FROM sessions WHERE statuscode = ${SessionStatus.v.Waiting}`;',
    '',
  ].join('\n'),
  'orchestrator/api/raw-sql.ts': [
    "export const byName = 'name = ? COLLATE NOCASE';",
    'export const open = (ids: string) => `statuscode IN(${ids})`;',
    "export const prefix = 'name LIKE ?';",
    "export const read = 'SELECT * FROM flowsessions';",
    "export const message = 'no machine is in this group; select one in the list';",
    '',
  ].join('\n'),
  'orchestrator/store/raw-sql.ts': "export const byName = 'name = ? COLLATE NOCASE';\n",
  'main/electron/window.ts': "import { ipcMain } from 'electron';\nexport const bus = ipcMain;\n",
  'main/electron/ipc.ts': "import { ipcMain } from 'electron';\nexport const bus = ipcMain;\n",
};

describe('ESLint rules of the project fire', () => {
  let dir: string;
  let results: Map<string, string[]>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowhost-lint-'));
    for (const f of ['eslint.config.js', 'tsconfig.json', 'tsconfig.base.json']) cpSync(join(repo, f), join(dir, f));
    symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const eslint = new ESLint({ cwd: dir });
    const linted = await eslint.lintFiles(['shared', 'main', 'orchestrator']);
    results = new Map(linted.map((r) => [r.filePath.slice(dir.length + 1), r.messages.map((m) => m.ruleId ?? m.message)]));
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a switch over a union that misses a member is an error', () => {
    expect(results.get('main/agent/exhaustive.ts')).toEqual(['@typescript-eslint/switch-exhaustiveness-check']);
  });

  it('raw ipcMain / ipcRenderer outside main/electron/ipc.ts and preload.ts is an error', () => {
    expect(results.get('main/electron/window.ts')).toEqual(['no-restricted-imports']);
    expect(results.get('main/electron/ipc.ts')).toEqual([]);
  });

  it('a status, state or mode written as a number (object, comparison, SQL) is an error; by name it passes', () => {
    expect(results.get('main/agent/status-number.ts')).toEqual(['no-restricted-syntax', 'no-restricted-syntax', 'no-restricted-syntax']);
    expect(results.get('main/agent/status-name.ts')).toEqual([]);
  });

  it('SQL text in the orchestrator outside orchestrator/store/ is an error; inside the store, and prose, pass', () => {
    expect(results.get('orchestrator/api/raw-sql.ts')).toEqual(['no-restricted-syntax', 'no-restricted-syntax', 'no-restricted-syntax', 'no-restricted-syntax']);
    expect(results.get('orchestrator/store/raw-sql.ts')).toEqual([]);
  });

  it('a clean file passes', () => {
    expect(results.get('shared/status.ts')).toEqual([]);
  });
});
