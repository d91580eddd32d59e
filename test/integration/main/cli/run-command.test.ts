import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pathOnlyEnv, runFlowhost } from '../../../support/flowhost-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'flowhost-runcli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const flowhost = (args: string[]) => runFlowhost(args, { cwd: dir, env: pathOnlyEnv(), timeoutMs: 30_000 });

function workflow(name: string, script: string): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      clientdata: JSON.stringify({ schemaversion: 1, kind: 'node', script }),
      inputschema: JSON.stringify({ type: 'object', properties: { who: { type: 'string' }, n: { type: 'integer' }, token: { type: 'string', 'x-secret': true } }, required: ['who'] }),
      outputschema: JSON.stringify({ type: 'object', required: ['greeting'] }),
    }),
  );
  return file;
}

describe('flowhost run (Local run mode, real child processes)', () => {
  it('runs the flow, prints its log lines with secrets masked, its outputs, and exits 0', async () => {
    const file = workflow(
      'greet',
      [
        "import { readFileSync, writeFileSync } from 'node:fs';",
        "const i = JSON.parse(readFileSync(process.env.FLOWHOST_INPUTS, 'utf8'));",
        'console.log(`hello ${i.who} x${i.n + 1} with ${i.token}`);',
        "writeFileSync(process.env.FLOWHOST_OUTPUTS, JSON.stringify({ greeting: 'hello ' + i.who }));",
      ].join('\n'),
    );
    const r = await flowhost(['run', file, '--input', 'who=world', '--input', 'n=41', '--input', 'token=tok-secret-99', '--data-dir', join(dir, 'data')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('hello world x42 with ***');
    expect(r.stdout).toMatch(/session [0-9a-f-]{36}: Succeeded/);
    expect(r.stdout).toContain('outputs: {"greeting":"hello world"}');
    expect(r.stdout + r.stderr).not.toContain('tok-secret-99');
  });

  it('a NUL in an input (inputs file) is refused before anything runs (exit 2), naming the input, never its value', async () => {
    const file = workflow('nul', 'process.exit(0)');
    const inputsFile = join(dir, 'nul-inputs.json');
    writeFileSync(inputsFile, JSON.stringify({ who: 'x', token: 'tok-nul-secret\u0000-tail-77' }));
    const r = await flowhost(['run', file, '--inputs-file', inputsFile, '--data-dir', join(dir, 'data')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('inputs.token holds a NUL character');
    expect(r.stdout + r.stderr).not.toContain('tok-nul-secret');
  });

  it('a failing flow exits 1 with its status and error code', async () => {
    const file = workflow('fail', "console.error('about to fail'); process.exit(3);");
    const r = await flowhost(['run', file, '--input', 'who=x', '--data-dir', join(dir, 'data')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('about to fail');
    expect(r.stdout).toMatch(/: Failed \(FlowExitCode/);
  });

  it('inputs that break the inputschema are refused before anything runs (exit 2)', async () => {
    const file = workflow('greet2', 'process.exit(0)');
    const r = await flowhost(['run', file, '--input', 'n=notanumber', '--data-dir', join(dir, 'data')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--input n: the schema expects \"integer\", got 'notanumber'");
    const missing = await flowhost(['run', file, '--data-dir', join(dir, 'data')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required property 'who'");
  });
});
