import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { envWithoutFlowhost, runFlowhost } from '../../../support/flowhost-cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'flowhost-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const flowhost = (args: string[], env: Record<string, string> = {}) => runFlowhost(args, { cwd: scratch, env: { ...envWithoutFlowhost(), ...env }, timeoutMs: 20_000 });

describe('flowhost command line (real child processes)', () => {
  it('--help lists every command and exits 0', async () => {
    const r = await flowhost(['--help']);
    expect(r.code).toBe(0);
    for (const name of ['agent', 'run', 'demo']) expect(r.stdout).toMatch(new RegExp(`^\\s+${name}\\b`, 'm'));
  });

  it('every command has --help', async () => {
    for (const name of ['agent', 'run', 'demo']) {
      const r = await flowhost([name, '--help']);
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toContain(`Usage: flowhost ${name}`);
    }
  });

  it('agent --capacity abc: exit 2 with a clear error', async () => {
    const r = await flowhost(['agent', '--capacity', 'abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("option '--capacity <n>' argument 'abc' is invalid. capacity must be an integer, got 'abc'");
  });

  it('an unknown flag: exit 2', async () => {
    const r = await flowhost(['agent', '--capacityy', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--capacityy'");
  });

  it('a bad env value or config key: exit 2 naming it, nothing started', async () => {
    const env = await flowhost(['agent'], { FLOWHOST_CAPACITY: 'many' });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('FLOWHOST_CAPACITY must be an integer');
    const file = join(scratch, 'agent.json');
    writeFileSync(file, JSON.stringify({ schemaversion: 1, orchestrator: 'http://127.0.0.1:9', groupPasword: 'x' }));
    const cfg = await flowhost(['agent', '--config', file]);
    expect(cfg.code).toBe(2);
    expect(cfg.stderr).toContain("unknown property 'groupPasword'");
  });

  it('agent first start without registration settings: exit 1 saying what is missing', async () => {
    const r = await flowhost(['agent', '--data-dir', join(scratch, 'data')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--orchestrator, --group, --group-password-file (or --group-password) required for the first start');
  });

  it('run with a missing workflow file: exit 2', async () => {
    const r = await flowhost(['run', join(scratch, 'nope.json'), '--data-dir', join(scratch, 'data')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read workflow file');
  });
});
