import { FLOWLOG_DATA_MAX } from '../../shared/records/index.js';
import { flowLogLevelOfWire } from '../../shared/flowlog-level.js';
import { FlowLogLevel, LogType } from '../../shared/option-sets.js';
import type { Repositories } from '../store/store.js';

export type LogTypeName = keyof typeof LogType.v;
export type FlowLogLevelName = keyof typeof FlowLogLevel.v;

export interface FlowLogEntry {
  readonly type: LogTypeName;
  /** Dataverse's level by name, or a number: a log line's wire level (shared/protocol-log-level.ts), mapped to Dataverse's. */
  readonly level: FlowLogLevelName | number;
  /** Serialised as JSON into `data` (cut to the column's limit). */
  readonly data: unknown;
  readonly name?: string;
  readonly createdon?: string;
}

/**
 * Appends flowlog rows of one session with consecutive per-session `seq`: one store call (the repository looks up the
 * session's last seq and inserts in bulk), whatever the number of entries. Call inside a store transaction, with its
 * repositories.
 */
export async function appendFlowLogs(tx: Repositories, sessionId: string, entries: readonly FlowLogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await tx.logs.appendToSession(
    sessionId,
    entries.map((e) => {
      const data = JSON.stringify(e.data);
      return {
        name: e.name ?? e.type,
        type: LogType.v[e.type],
        level: typeof e.level === 'number' ? flowLogLevelOfWire(e.level) : FlowLogLevel.v[e.level],
        data: data.length > FLOWLOG_DATA_MAX ? data.slice(0, FLOWLOG_DATA_MAX) : data,
        // Unset: insertMany stamps it now.
        createdon: e.createdon ?? null,
      };
    }),
  );
}

export const appendFlowLog = (tx: Repositories, sessionId: string, entry: FlowLogEntry): Promise<void> => appendFlowLogs(tx, sessionId, [entry]);
