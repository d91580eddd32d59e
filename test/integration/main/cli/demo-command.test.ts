import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pathOnlyEnv, runFlowhost } from '../../../support/flowhost-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'flowhost-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const demo = () => runFlowhost(['demo', '--data-dir', join(dir, '.flowhost')], { cwd: dir, env: pathOnlyEnv(), timeoutMs: 90_000 });

describe('flowhost demo (npm start), as a newcomer runs it', () => {
  it('runs the sample flow to Succeeded with figures, outputs, logs and a signed callback; again on the same data dir', { timeout: 200_000 }, async () => {
    for (const round of [1, 2]) {
      const r = await demo();
      const out = r.stdout;
      expect(r.code, `round ${round}\n${out}\n${r.stderr}`).toBe(0);
      expect(out).toMatch(/Waiting[\s\S]*Succeeded/);
      expect(out).toMatch(/machine CPU\s+\d+(\.\d+)? % average/);
      expect(out).toMatch(/outputs\s+\{"primes":\d+/);
      expect(out).toContain('hello newcomer');
      expect(out).not.toContain('demo-secret-token-123');
      expect(out).toMatch(/callback received .* signature valid/);
      expect(out).toMatch(/admin token\s+\S*admin-token/);
      expect(out).toMatch(/metrics\s+curl -H "Authorization: Bearer \$\(cat \S*metrics-token\)" http:\/\/127\.0\.0\.1:\d+\/metrics/);
      expect(out).toContain('/api/data/v9.2/');
    }
  });
});
