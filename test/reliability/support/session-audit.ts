import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../../orchestrator/store/store.js';

/** What one session left behind, on the flow's side, the agent's side and the orchestrator's side. */
export interface SessionAudit {
  readonly id: string;
  readonly statuscode: number;
  readonly errorcode: string | null;
  /** Times the flow process started (marker file lines). */
  readonly runs: number;
  /** Lines the flow wrote (its own file). */
  readonly written: number;
  /** stdout lines the agent committed to agent.db. */
  readonly committed: number;
  /** stdout flowlog rows the orchestrator holds. */
  readonly upstream: number;
  /** Upstream rows whose line appears more than once. */
  readonly duplicates: number;
  /** Committed lines missing upstream. */
  readonly lost: number;
  /** Upstream differs from the committed lines in content or order, or is not `line 1..k`. */
  readonly misordered: boolean;
}

const fileLines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : []);

/** Compares, per session, the flow's files, the agent's committed log lines and the orchestrator's flowlogs. */
export async function auditSessions(store: Store, agentDb: string, markerDir: string, ids: readonly string[]): Promise<SessionAudit[]> {
  const db = new Database(agentDb, { readonly: true });
  try {
    const local = db.prepare(`SELECT text FROM log_chunks WHERE session_id = ? AND stream = 'stdout' ORDER BY first_seq`);
    return await Promise.all(ids.map(async (id) => {
      const row = (await store.sessions.get(id))!;
      const committed = (local.all(id) as { text: string }[]).flatMap((r) => r.text.split('\n'));
      const upstream = (await store.logs.forSession(id))
        .filter((r) => r.name === 'stdout')
        .map((r) => (JSON.parse(String(r['data'])) as { message: string }).message);
      const seen = new Set(upstream);
      const inOrder = upstream.every((l, i) => l === `line ${i + 1}`) && upstream.join('\n') === committed.join('\n');
      return {
        id,
        statuscode: Number(row['statuscode']),
        errorcode: (row['errorcode'] as string | null) ?? null,
        runs: fileLines(join(markerDir, `${id}.runs`)).length,
        written: fileLines(join(markerDir, `${id}.written`)).length,
        committed: committed.length,
        upstream: upstream.length,
        duplicates: upstream.length - seen.size,
        lost: committed.filter((l) => !seen.has(l)).length,
        misordered: !inOrder,
      };
    }));
  } finally {
    db.close();
  }
}

/** The agent's outbox counter (every event ever committed) and what is still unacked. */
export function agentOutbox(agentDb: string): { lastSeq: number; pending: number } {
  const db = new Database(agentDb, { readonly: true });
  try {
    const meta = (key: string) => (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: number }).value;
    const pending = (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    return { lastSeq: meta('last_seq'), pending };
  } finally {
    db.close();
  }
}

/** The orchestrator's applied seq for a machine, read from its database file (readonly: the orchestrator may be running). */
export function orchestratorAppliedSeq(orchestratorDb: string, machineId: string): number {
  const db = new Database(orchestratorDb, { readonly: true });
  try {
    const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(`gateway.appliedseq.${machineId}`) as { value: string } | undefined;
    return Number(row?.value ?? 0);
  } finally {
    db.close();
  }
}
