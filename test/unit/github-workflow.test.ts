import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';

/** .github/workflows/test.yml, checked against GitHub's workflow schema by action-validator (an npm package, WASM). */
const root = join(import.meta.dirname, '..', '..');
const workflowFile = join(root, '.github', 'workflows', 'test.yml');
const workflow = readFileSync(workflowFile, 'utf8');
const validatorCli = join(dirname(createRequire(import.meta.url).resolve('@action-validator/cli/package.json')), 'cli.mjs');

function validate(file: string): { status: number | null; errors: string } {
  const r = spawnSync(process.execPath, [validatorCli, file], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, errors: r.stdout + r.stderr };
}

function brokenCopy(from: string | RegExp, to: string): string {
  const broken = workflow.replace(from, to);
  expect(broken).not.toBe(workflow);
  const file = join(tempDir(), 'test.yml');
  writeFileSync(file, broken);
  return file;
}

describe('the GitHub Actions workflow', () => {
  it('is valid', () => {
    expect(validate(workflowFile)).toEqual({ status: 0, errors: '' });
  });

  it('the validator fires on broken copies: a job without runs-on, an unknown event, a step that is neither run nor uses', () => {
    for (const [from, to, path] of [
      [/^ {4}runs-on: .*$/m, '', '/jobs/test/runs-on'],
      [/^ {2}push:$/m, '  pussh:', "Additional property 'pussh' is not allowed"],
      [/- run: npx (.*) ci$/m, '- runs: npx $1 ci', '/jobs/test/steps/'],
    ] as const) {
      const result = validate(brokenCopy(from, to));
      expect(result.status).toBe(1);
      expect(result.errors).toContain(path);
    }
  });

  it("runs the README's test command on Linux, Windows and macOS with Node 20.19 and 22, as root on Linux", () => {
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('npm ci && npm test');
    expect(workflow).toMatch(/^ {8}os: \[ubuntu-latest, windows-latest, macos-latest\]$/m);
    expect(workflow).toMatch(/^ {8}node: \['20\.19', '22'\]$/m);
    expect(workflow).toMatch(/^ {6}- run: npx --yes npm@\d+\.\d+\.\d+ ci$/m);
    expect(workflow).toContain('run: sudo -E env "PATH=$PATH" npm test');
    // GitHub's CI=true on every runner: platform-bound tests skip by their platforms (test/support/requirements.ts).
    expect(workflow).not.toMatch(/^\s+CI:/m);
    // The apt packages .ci/run installs, on the Linux runner too.
    const ciPackages = /apt-get install -y (.+)$/m.exec(readFileSync(join(root, '.ci', 'run'), 'utf8'))?.[1]?.split(' ');
    const workflowPackages = /apt-get install -y (.+)$/m.exec(workflow)?.[1]?.split(' ');
    expect(ciPackages?.length).toBeGreaterThan(0);
    expect(workflowPackages).toEqual(ciPackages);
  });
});
