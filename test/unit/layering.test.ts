import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');
const cruiser = join(repo, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

/** Runs the project's own dependency rules over a scratch tree laid out like the repository. */
async function cruise(dir: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(process.execPath, [cruiser, '--config', '.dependency-cruiser.cjs', '--output-type', 'err', 'shared', 'node-shared', 'main', 'orchestrator', 'renderer'], { cwd: dir });
    return { code: 0, output: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowhost-layering-'));
  cpSync(join(repo, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  cpSync(join(repo, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  cpSync(join(repo, 'tsconfig.base.json'), join(dir, 'tsconfig.base.json'));
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const base: Record<string, string> = {
    'shared/types.ts': 'export const x = 1;\n',
    'node-shared/host.ts': "import { statSync } from 'node:fs';\nimport { x } from '../shared/types.js';\nexport const h = [statSync, x];\n",
    'main/agent/core.ts': "import { x } from '../../shared/types.js';\nimport { h } from '../../node-shared/host.js';\nimport { r } from './runner/host.js';\nexport const y = [x, h, r];\n",
    'main/agent/store/db.ts': "import { x } from '../../../shared/types.js';\nexport const d = x;\n",
    'main/agent/runner/host.ts': "import { d } from '../store/db.js';\nexport const r = d;\n",
    'main/electron/main.ts': "import { app } from 'electron';\nimport { y } from '../agent/core.js';\nexport const z = [app, y];\n",
    'main/cli.ts': "import { y } from './agent/core.js';\nimport { o } from '../orchestrator/server.js';\nexport const c = [y, o];\n",
    'orchestrator/store/pg-store.ts': "import pg from 'pg';\nexport const p = pg;\n",
    'orchestrator/server.ts': "import { x } from '../shared/types.js';\nimport { h } from '../node-shared/host.js';\nexport const o = [x, h];\n",
    'renderer/app.ts': "import { x } from '../shared/types.js';\nexport const r = x;\n",
  };
  for (const [path, text] of Object.entries({ ...base, ...files })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('layering rules (dependency-cruiser)', () => {
  const dirs: string[] = [];
  const scratch = (files: Record<string, string>) => {
    const dir = tree(files);
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  let clean: { code: number; output: string };
  beforeAll(async () => {
    clean = await cruise(scratch({}));
  });

  it('accepts the layout of the design brief', () => {
    expect(clean.output).not.toMatch(/error/i);
    expect(clean.code).toBe(0);
  });

  it.each([
    ['shared imports a node builtin', { 'shared/bad.ts': "import { readFileSync } from 'node:fs';\nexport const b = readFileSync;\n" }, 'shared-no-builtins'],
    ['shared imports another layer', { 'shared/bad.ts': "import { y } from '../main/agent/core.js';\nexport const b = y;\n" }, 'shared-is-pure'],
    ['the agent core imports electron', { 'main/agent/bad.ts': "import { app } from 'electron';\nexport const b = app;\n" }, 'electron-only-in-main-electron'],
    ['the orchestrator imports electron', { 'orchestrator/bad.ts': "import { app } from 'electron';\nexport const b = app;\n" }, 'electron-only-in-main-electron'],
    ['the orchestrator imports main', { 'orchestrator/bad.ts': "import { y } from '../main/agent/core.js';\nexport const b = y;\n" }, 'orchestrator-imports-shared-only'],
    ['the agent core imports the orchestrator', { 'main/agent/bad.ts': "import { o } from '../../orchestrator/server.js';\nexport const b = o;\n" }, 'agent-imports-shared-only'],
    ['main/electron imports the orchestrator', { 'main/electron/bad.ts': "import { o } from '../../orchestrator/server.js';\nexport const b = o;\n" }, 'only-cli-starts-orchestrator'],
    ['the renderer imports node', { 'renderer/bad.ts': "import { join } from 'node:path';\nexport const b = join;\n" }, 'renderer-no-node'],
    ['shared imports node-shared', { 'shared/bad.ts': "import { h } from '../node-shared/host.js';\nexport const b = h;\n" }, 'shared-is-pure'],
    ['node-shared imports the agent', { 'node-shared/bad.ts': "import { y } from '../main/agent/core.js';\nexport const b = y;\n" }, 'node-shared-imports-shared-only'],
    ['node-shared imports the orchestrator', { 'node-shared/bad.ts': "import { o } from '../orchestrator/server.js';\nexport const b = o;\n" }, 'node-shared-imports-shared-only'],
    ['node-shared imports electron', { 'node-shared/bad.ts': "import { app } from 'electron';\nexport const b = app;\n" }, 'electron-only-in-main-electron'],
    ['the renderer imports node-shared', { 'renderer/bad.ts': "import { h } from '../node-shared/host.js';\nexport const b = h;\n" }, 'renderer-imports-shared-only'],
    ['an agent concern folder imports another', { 'main/agent/status/bad.ts': "import { r } from '../runner/host.js';\nexport const b = r;\n" }, 'agent-folders-import-only-the-base'],
    ['the agent store imports another part of the agent', { 'main/agent/store/bad.ts': "import { r } from '../runner/host.js';\nexport const b = r;\n" }, 'agent-base-folders-are-leaves'],
    ['an agent folder imports the wiring', { 'main/agent/agent.ts': "import { x } from '../../shared/types.js';\nexport const a = x;\n", 'main/agent/status/bad.ts': "import { a } from '../agent.js';\nexport const b = a;\n" }, 'agent-folders-not-the-wiring'],
    ['the renderer imports the agent', { 'renderer/bad.ts': "import { y } from '../main/agent/core.js';\nexport const b = y;\n" }, 'renderer-imports-shared-only'],
    ['the orchestrator opens SQLite outside its store', { 'orchestrator/bad.ts': "import Database from 'better-sqlite3';\nexport const b = Database;\n" }, 'sqlite-only-in-orchestrator-store'],
    ['the orchestrator opens PostgreSQL outside its store', { 'orchestrator/bad.ts': "import pg from 'pg';\nexport const b = pg;\n" }, 'pg-only-in-orchestrator-store'],
    ['the orchestrator takes pg types outside its store', { 'orchestrator/api/bad.ts': "import type { Pool } from 'pg';\nexport type B = Pool;\n" }, 'pg-only-in-orchestrator-store'],
    ['the agent imports pg', { 'main/agent/bad.ts': "import pg from 'pg';\nexport const b = pg;\n" }, 'pg-only-in-orchestrator-store'],
  ])('fails when %s', async (_what, files, rule) => {
    const result = await cruise(scratch(files));
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(rule);
  });
});
