import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_FLAG } from '../../../../main/electron/app-mode.js';
import { localRunNotice, parseRunOutput, runLocalFlow } from '../../../../main/electron/local-run.js';
import { AgentStore } from '../../../../main/agent/store/agent-store.js';

/** The app started as the CLI, as the tray's Run… starts it: [node --import tsx entry, --flowhost-cli]. */
const entry = resolve(import.meta.dirname, 'fixtures/app-cli-entry.ts');
const self = [process.execPath, '--import', 'tsx', entry, CLI_FLAG];
const env = { PATH: process.env['PATH'] ?? '', ELECTRON_RUN_AS_NODE: '1' };

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function flowFile(argv: string[]): { file: string; dataDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'flowhost-tray-run-'));
  dirs.push(dir);
  const file = join(dir, 'hello.json');
  writeFileSync(file, JSON.stringify({ schemaversion: 1, kind: 'command', argv }));
  return { file, dataDir: join(dir, 'data') };
}

describe('tray Run… (the app as `flowhost run`, real child processes)', () => {
  it('runs a workflow file Local into the data dir and reports Succeeded with the session id', async () => {
    const { file, dataDir } = flowFile([process.execPath, '-e', 'console.log("hello from the tray")']);
    const result = await runLocalFlow({ self, file, dataDir, env });
    expect(result).toMatchObject({ code: 0, outcome: 'Succeeded', sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const store = AgentStore.open(join(dataDir, 'agent.db'));
    try {
      const session = store.getSession(result.sessionId ?? '');
      expect(session).toMatchObject({ local: true, stage: 'completed', statuscode: 4 });
      expect(store.logTail(result.sessionId ?? '', 10).map((l) => l.message)).toContain('hello from the tray');
    } finally {
      store.close();
    }
    expect(localRunNotice(file, result)).toEqual({ title: 'hello.json: Succeeded', body: `Local run ${result.sessionId}: Succeeded` });
  });

  it('reports a failing flow as Failed (exit 1) and a bad file as not run (exit 2) with the reason', async () => {
    const failing = flowFile([process.execPath, '-e', 'process.exit(3)']);
    const failed = await runLocalFlow({ self, ...failing, env });
    expect(failed.code).toBe(1);
    expect(failed.outcome).toMatch(/^Failed \(/);
    expect(localRunNotice(failing.file, failed).title).toBe('hello.json: Failed');

    const bad = flowFile([]);
    const refused = await runLocalFlow({ self, ...bad, env });
    expect(refused).toMatchObject({ code: 2 });
    expect(refused.sessionId).toBeUndefined();
    expect(localRunNotice(bad.file, refused)).toMatchObject({ title: 'hello.json did not run', body: expect.stringMatching(/invalid flow definition/) });
  });

  it('installs the app itself as the service: the dry run names the app and its CLI flag', async () => {
    const { stdout, code } = await new Promise<{ stdout: string; code: number }>((done) =>
      execFile(self[0]!, [...self.slice(1), 'service', 'install', '--dry-run', '--platform', 'linux'], { env }, (err, out) => done({ stdout: out, code: err ? Number(err.code) : 0 })),
    );
    expect(code).toBe(0);
    expect(stdout).toContain(`ExecStart=${process.execPath} ${entry} ${CLI_FLAG} agent`);
  });
});

describe('parseRunOutput', () => {
  it('takes the session id and the outcome line, and the last error lines', () => {
    const id = '0f0e0d0c-0b0a-4909-8807-060504030201';
    const out = `session ${id} (a (b)) running locally; data dir /d\n  line\nsession ${id}: TimedOut (RunTimeout: the run timeout passed)\n`;
    expect(parseRunOutput(out, '', 1)).toEqual({ code: 1, sessionId: id, outcome: 'TimedOut (RunTimeout: the run timeout passed)', errors: [] });
    expect(parseRunOutput('', 'flowhost run: cannot read workflow file x\n(run --help)\n', 2)).toEqual({ code: 2, errors: ['flowhost run: cannot read workflow file x', '(run --help)'] });
  });
});
