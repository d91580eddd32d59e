import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBuildFresh } from '../../scripts/build-meta.mjs';
import { FLOWHOST_BIN, pathOnlyEnv, runFlowhost } from '../support/flowhost-cli.js';
import { tempDir } from '../support/temp-dir.js';

const root = resolve(import.meta.dirname, '../..');
const version = (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string }).version;

describe('bin/flowhost.js', () => {
  it('runs the TypeScript sources through tsx when FLOWHOST_FROM_SOURCE=1', async () => {
    const r = await runFlowhost(['--version'], { env: { ...pathOnlyEnv(), FLOWHOST_FROM_SOURCE: '1' }, timeoutMs: 30_000 });
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('runs whichever form is current by default', async () => {
    const r = await runFlowhost(['--version'], { env: pathOnlyEnv(), timeoutMs: 30_000 });
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  // On a clean checkout, `npm ci` (prepare) built dist/cli and nothing edited the sources since: CI then runs every
  // CLI test on the bundle that users run. A developer's tree is allowed a stale bundle (it runs from source).
  it.runIf(process.env['CI'] === 'true')('has a fresh bundle after npm ci, so CI tests the shipped form', () => {
    expect(isBuildFresh(root, resolve(root, 'dist/cli'), ['cli.mjs'])).toBe(true);
  });

  // The status page's files are found from the module's own place, which differs between the sources (main/agent/…)
  // and the bundle (dist/cli/): both forms serve it.
  const bundle = () => {
    execFileSync(process.execPath, [join(root, 'scripts/build-cli.mjs')], { cwd: root, stdio: 'ignore' });
    expect(isBuildFresh(root, resolve(root, 'dist/cli'), ['cli.mjs'])).toBe(true);
    return join(root, 'dist/cli/cli.mjs');
  };
  it.each([
    ['the bundle in dist/cli', bundle, {}],
    ['the sources', () => FLOWHOST_BIN, { FLOWHOST_FROM_SOURCE: '1' }],
  ])('serves the status page when run from %s', async (_form, entry, env) => {
    const dataDir = tempDir('flowhost-bin-status-');
    // A registered machine whose orchestrator is not there: the agent keeps reconnecting, its status page is up.
    const credentials = { flowmachineid: '5e5e5e5e-1111-4222-8333-444444444444', credential: 'C'.repeat(48), callbackSecret: 'S'.repeat(32), orchestrator: 'http://127.0.0.1:9/', group: 'g' };
    writeFileSync(join(dataDir, 'credentials.json'), JSON.stringify(credentials), { mode: 0o600 });
    const child = spawn(process.execPath, [entry(), 'agent', '--data-dir', dataDir], { env: { ...pathOnlyEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(child, 'exit');
    try {
      let output = '';
      const url = await new Promise<string>((found, fail) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString('utf8');
          const match = /status page on (http:\/\/127\.0\.0\.1:\d+)|status page not started.*/.exec(output);
          if (match?.[1]) found(match[1]);
          else if (match) fail(new Error(match[0]));
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        void exited.then(() => fail(new Error(`the agent exited before its status page was up:\n${output}`)));
      });
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await page.text()).toContain('app.js');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
