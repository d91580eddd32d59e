import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileQuery } from '../../orchestrator/odata/query-options.js';
import { filterToSql, orderToSql } from '../../orchestrator/store/sqlite-filter.js';
import { SqliteStore } from '../../orchestrator/store/sqlite-store.js';
import { flowsessionEntity } from '../../shared/records/index.js';
import { startTestOrchestrator } from '../support/orchestrator-harness.js';
import { setting, type Bench } from './lib/bench.js';
import { nowMs, percentile } from './lib/stats.js';
import { fmt, type BenchRow } from './lib/table.js';

const STATUSES = [4, 4, 4, 4, 4, 4, 4, 8, 8, 7]; // a history: mostly Succeeded, some Failed/Cancelled (7 groups, 101 workflows: no correlation)
const DAY = 86_400_000;

/** Inserts `count` terminal sessions through the store, 20,000 per transaction. */
async function fill(file: string, count: number, groups: string[], workflows: string[], t0: number): Promise<void> {
  const store = new SqliteStore({ file });
  try {
    for (let i = 0; i < count; i += 20_000) {
      await store.transaction(async (tx) => {
        for (let j = i; j < Math.min(count, i + 20_000); j++) {
          const created = new Date(t0 - (count - j) * (365 * DAY / count)).toISOString();
          await tx.sessions.insert({
            name: `session ${j}`,
            _regardingobjectid_value: workflows[j % workflows.length],
            _machinegroupid_value: groups[j % groups.length],
            runmode: 2,
            statecode: 1,
            statuscode: STATUSES[j % STATUSES.length],
            priority: 0,
            createdon: created,
            startedon: created,
            completedon: created,
          });
        }
      });
    }
  } finally {
    await store.close();
  }
}

/**
 * API: `GET flowsessions?$filter=…&$top=50` over N stored sessions through the real orchestrator (HTTP, OData
 * compile, store, JSON) vs the same SQL run directly on the file with better-sqlite3 (the raw limit), the two
 * alternated query by query. Prints each query's plan (EXPLAIN QUERY PLAN) as a note.
 */
export const apiQuery: Bench = {
  name: 'api-query',
  budgetMs: (ctx) => 120_000 + setting('BENCH_API_SESSIONS', ctx, 100_000, 1_000_000) / 10,
  async run(ctx) {
    const count = setting('BENCH_API_SESSIONS', ctx, 100_000, 1_000_000);
    const iterations = setting('BENCH_API_ITERATIONS', ctx, 100, 300);
    const dataDir = mkdtempSync(join(tmpdir(), 'flowhost-bench-api-'));
    const file = join(dataDir, 'orchestrator.db');
    const groups = Array.from({ length: 7 }, () => randomUUID());
    const workflows = Array.from({ length: 101 }, () => randomUUID());
    const t0 = Date.now();
    ctx.note(`api-query: inserting ${count} sessions through the store`);
    await fill(file, count, groups, workflows, t0);
    const orch = await startTestOrchestrator({ dataDir });
    const raw = new Database(file, { readonly: true });
    const mid = new Date(t0 - 180 * DAY).toISOString();
    const queries: [string, string][] = [
      ['status', `statuscode eq 8`],
      ['group+status', `_machinegroupid_value eq ${groups[3]} and statuscode eq 8`],
      ['workflow, newest first', `_regardingobjectid_value eq ${workflows[7]}&$orderby=createdon desc`],
      ['created in a day', `createdon ge ${mid} and createdon lt ${new Date(Date.parse(mid) + DAY).toISOString()}`],
    ];
    const rows: BenchRow[] = [];
    try {
      for (const [label, filter] of queries) {
        const path = `flowsessions?$filter=${filter}&$top=50`;
        const q = compileQuery(flowsessionEntity, new URLSearchParams(path.slice(path.indexOf('?') + 1)));
        const where = q.filter ? filterToSql(flowsessionEntity, q.filter) : { sql: '', params: [] };
        const sql = `SELECT * FROM "flowsessions"${where.sql ? ` WHERE ${where.sql}` : ''} ORDER BY ${q.orderBy ? `${orderToSql(flowsessionEntity, q.orderBy)}, ` : ''}"flowsessionid" LIMIT 51`;
        const plan = (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...where.params) as { detail: string }[]).map((r) => r.detail).join('; ');
        ctx.note(`api-query ${label}: ${plan}`);
        const stmt = raw.prepare(sql);
        const api: number[] = [];
        const direct: number[] = [];
        for (let i = 0; i < iterations; i++) {
          let t = nowMs();
          const res = await orch.api('GET', path);
          api.push(nowMs() - t);
          if (res.status !== 200) throw new Error(`GET ${path} → ${res.status}: ${res.text}`);
          t = nowMs();
          stmt.all(...where.params);
          direct.push(nowMs() - t);
        }
        const p99 = percentile(api, 99);
        const rawP99 = percentile(direct, 99);
        ctx.note(`api-query ${label}: p50 ${percentile(api, 50).toFixed(2)} ms (raw ${percentile(direct, 50).toFixed(2)} ms), p99 ${p99.toFixed(2)} ms (raw ${rawP99.toFixed(2)} ms)`);
        rows.push({ what: `API p99 ms, ${fmt(count)} sessions: ${label}`, flowhost: p99.toFixed(2), raw: rawP99.toFixed(2), ratio: `${(p99 / rawP99).toFixed(1)}×`, target: '< 20 ms', met: p99 < 20 });
      }
      return rows;
    } finally {
      raw.close();
      await orch.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
