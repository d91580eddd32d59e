import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBuildFresh } from '../../scripts/build-meta.mjs';
import { pathOnlyEnv, runFlowhost } from '../support/flowhost-cli.js';

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
});
