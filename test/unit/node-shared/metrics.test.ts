import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exposition, loadOrCreateMetricsToken, METRICS_TOKEN_FILE, metricsAuthorized, newMetricsRegistry, scrapedGauge } from '../../../node-shared/metrics.js';
import { hasPromtool, promtoolCheck } from '../../support/prometheus.js';
import { skipUnless } from '../../support/requirements.js';
import { tempDir } from '../../support/temp-dir.js';

describe('metrics token', () => {
  it('is created 0600 on first use, reused after, tightened when loosened, and replaced when not a token', () => {
    const dir = tempDir();
    const file = join(dir, METRICS_TOKEN_FILE);
    const token = loadOrCreateMetricsToken(dir);
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    chmodSync(file, 0o644);
    expect(loadOrCreateMetricsToken(dir)).toBe(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, 'short\n');
    const replaced = loadOrCreateMetricsToken(dir);
    expect(replaced).not.toBe('short');
    expect(readFileSync(file, 'utf8').trim()).toBe(replaced);
  });

  it('a request is let in with any accepted token, and only with a bearer header carrying one', () => {
    const accepted = ['metrics-token-0123456789abcdef0123', 'admin-token-0123456789abcdef012345'];
    expect(metricsAuthorized(`Bearer ${accepted[0]!}`, accepted)).toBe(true);
    expect(metricsAuthorized(`bearer ${accepted[1]!}`, accepted)).toBe(true);
    for (const header of [undefined, '', 'Bearer', `Basic ${accepted[0]!}`, `Bearer ${accepted[0]!}x`, `Bearer ${accepted[0]!} ${accepted[1]!}`]) {
      expect(metricsAuthorized(header, accepted)).toBe(false);
    }
  });
});

describe('registry and scraped gauges', () => {
  it('a scraped gauge shows only the series its last fill set, and the whole text passes promtool', async () => {
    const registry = newMetricsRegistry('agent');
    let sessions = ['a', 'b'];
    scrapedGauge(registry, { name: 'flowhost_test_sessions', help: 'Test sessions.', labelNames: ['session'] }, (g) => {
      for (const s of sessions) g.set({ session: s }, 1);
    });
    const first = (await exposition(registry)).body;
    expect(first).toContain('flowhost_test_sessions{session="a",program="agent"} 1');
    sessions = ['b'];
    const second = await exposition(registry);
    expect(second.body).not.toContain('session="a"');
    expect(second.body).toContain('session="b"');
    expect(second.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    if (skipUnless(hasPromtool, 'promtool (Debian package prometheus)')) return;
    expect(promtoolCheck(second.body)).toEqual({ status: 0, output: '' });
  });
});
