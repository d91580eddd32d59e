import { SESSION_COLUMNS, SESSION_FROM, toLocalSession, type SessionRow } from './session-rows.js';
import { LogChunkTable } from './log-chunks.js';
import type { StoreDb } from './store-db.js';
import type { LocalSession, LogLine, Sample, SessionStage } from './store-types.js';

const ACTIVE_STAGES = `('accepted', 'confirmed', 'running', 'paused')`;

/**
 * The store's queries, no writes: a session by id or stage, the newest ones, a log tail, samples — what the scheduler,
 * the session host and the status window read. AgentStore adds every state change on top.
 */
export class SessionReads {
  protected readonly logChunks: LogChunkTable;

  protected constructor(protected readonly q: StoreDb) {
    this.logChunks = new LogChunkTable(q);
  }

  stageOf(sessionId: string): 'accepted' | 'confirmed' | undefined {
    const row = this.q.sql('SELECT stage FROM sessions WHERE id = ?').get(sessionId) as { stage: string } | undefined;
    if (!row || row.stage === 'completed') return undefined;
    return row.stage === 'accepted' ? 'accepted' : 'confirmed';
  }

  activeCount(): number {
    return (this.q.sql(`SELECT COUNT(*) AS n FROM sessions WHERE stage IN ${ACTIVE_STAGES}`).get() as { n: number }).n;
  }

  getSession(id: string): LocalSession | undefined {
    const row = this.q.sql(`SELECT ${SESSION_COLUMNS} FROM ${SESSION_FROM} WHERE s.id = ?`).get(id) as SessionRow | undefined;
    return row ? toLocalSession(row) : undefined;
  }

  activeSessions(): LocalSession[] {
    const rows = this.q.sql(`SELECT ${SESSION_COLUMNS} FROM ${SESSION_FROM} WHERE s.stage IN ${ACTIVE_STAGES} ORDER BY s.acceptedon`).all() as SessionRow[];
    return rows.map(toLocalSession);
  }

  /** The newest sessions, of one stage when given (the limit counts only those). */
  recentSessions(limit: number, stage?: SessionStage): LocalSession[] {
    const rows = (
      stage === undefined
        ? this.q.sql(`SELECT ${SESSION_COLUMNS} FROM ${SESSION_FROM} ORDER BY s.acceptedon DESC, s.rowid DESC LIMIT ?`).all(limit)
        : this.q.sql(`SELECT ${SESSION_COLUMNS} FROM ${SESSION_FROM} WHERE s.stage = ? ORDER BY s.acceptedon DESC, s.rowid DESC LIMIT ?`).all(stage, limit)
    ) as SessionRow[];
    return rows.map(toLocalSession);
  }

  /** The last `limit` lines of a session, oldest first, read from its chunks with their line numbers. */
  logTail(sessionId: string, limit: number): LogLine[] {
    return this.logChunks.tail(sessionId, limit);
  }

  /** The last `limit` resource samples of a session, oldest first (the status window's sparklines, the agent's metrics). */
  recentSamples(sessionId: string, limit: number): Sample[] {
    const rows = this.q
      .sql('SELECT at, cpu, ram_mb, ram_pct, proc_cpu, proc_rss_mb FROM samples WHERE session_id = ? ORDER BY rowid DESC LIMIT ?')
      .all(sessionId, limit) as { at: string; cpu: number; ram_mb: number; ram_pct: number; proc_cpu: number | null; proc_rss_mb: number | null }[];
    return rows.reverse().map((r) => ({
      at: r.at,
      machineCpuPercent: r.cpu,
      machineRamUsedMb: r.ram_mb,
      machineRamPercent: r.ram_pct,
      ...(r.proc_cpu === null ? {} : { processCpuPercent: r.proc_cpu }),
      ...(r.proc_rss_mb === null ? {} : { processRssMb: r.proc_rss_mb }),
    }));
  }
}
