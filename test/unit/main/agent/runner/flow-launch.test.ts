import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareLaunch, removeWorkDir } from '../../../../../main/agent/runner/flow-launch.js';
import { POSIX, skipUnlessOn } from '../../../../support/requirements.js';

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'flow-launch-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;
const request = (sessionId: string) => ({
  sessionId,
  flow: { schemaversion: 1, kind: 'shell', shell: 'sh', script: 'echo hi' } as const,
  inputs: '{"name":"x"}',
  dataDir,
});

describe.skipIf(skipUnlessOn(POSIX, 'POSIX file modes and sh'))('prepareLaunch / removeWorkDir', () => {
  it('makes a private work dir (0700) with private files (0600), the sessions dir included, and removes it after the run', async () => {
    const plan = prepareLaunch(request('s1'));
    expect(plan.workDir).toBe(join(dataDir, 'sessions', 's1'));
    expect(mode(join(dataDir, 'sessions'))).toBe(0o700);
    expect(mode(plan.workDir)).toBe(0o700);
    expect(plan.files.map((f) => [f, mode(f)])).toEqual([
      [join(plan.workDir, 'inputs.json'), 0o600],
      [join(plan.workDir, 'script.sh'), 0o600],
    ]);
    expect(readFileSync(plan.env['FLOWHOST_INPUTS'] as string, 'utf8')).toBe('{"name":"x"}');
    expect(plan.args).toEqual([join(plan.workDir, 'script.sh')]);
    writeFileSync(plan.outputsFile, '{}'); // what a flow writes
    await removeWorkDir(plan);
    expect(existsSync(plan.workDir)).toBe(false);
  });

  it('reuses a work dir an earlier attempt left: private again and without its old outputs', () => {
    const workDir = join(dataDir, 'sessions', 's2');
    mkdirSync(workDir, { recursive: true, mode: 0o755 });
    writeFileSync(join(workDir, 'outputs.json'), '{"stale":true}');
    const plan = prepareLaunch(request('s2'));
    expect(mode(workDir)).toBe(0o700);
    expect(existsSync(plan.outputsFile)).toBe(false);
  });

  it('removes whatever else the flow left in its work dir (the recursive way)', async () => {
    const plan = prepareLaunch(request('s3'));
    mkdirSync(join(plan.workDir, 'out', 'deep'), { recursive: true });
    writeFileSync(join(plan.workDir, 'out', 'deep', 'report.txt'), 'r');
    await removeWorkDir(plan);
    expect(existsSync(plan.workDir)).toBe(false);
    await removeWorkDir(plan); // already gone: nothing to do
  });

  it("starts from the host's precomputed environment when given, not from process.env", () => {
    const plan = prepareLaunch({ ...request('s4'), ownEnv: { PATH: '/only/this' } });
    expect(plan.env).toMatchObject({ PATH: '/only/this', FLOWHOST_INPUT_NAME: 'x', FLOWHOST_SESSION_ID: 's4' });
    expect(Object.keys(plan.env).filter((k) => !k.startsWith('FLOWHOST_'))).toEqual(['PATH']);
  });
});
