import { setTimeout as delay } from 'node:timers/promises';
import { LogType, SessionStatus, isTerminalStatus } from '../../shared/option-sets.js';
import type { DemoApi } from './demo-api.js';

type Row = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** Polls the session (the Web API has no push) and prints each status change until it ends. */
export async function followSession(api: DemoApi, sessionId: string, out: (line: string) => void, timeoutMs = 120_000): Promise<Row> {
  const started = Date.now();
  // RunDesktopFlow creates the session Waiting; a fast agent may have it Running by the first poll.
  let last = SessionStatus.labels.get(SessionStatus.v.Waiting) ?? 'Waiting';
  out(`  ${(0).toFixed(1).padStart(5)} s  ${last} (queued)`);
  for (;;) {
    const row = await api.get(`flowsessions(${sessionId})`);
    const code = num(row['statuscode']) ?? -1;
    const reason = typeof row['queuereason'] === 'string' && code === SessionStatus.v.Waiting ? ` (queue reason: ${row['queuereason']})` : '';
    const text = `${SessionStatus.labels.get(code) ?? code}${reason}`;
    if (text !== last) {
      out(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${text}`);
      last = text;
    }
    if (isTerminalStatus(code)) return row;
    if (Date.now() - started > timeoutMs) throw new Error(`session ${sessionId} still ${text} after ${timeoutMs / 1000} s`);
    await delay(150);
  }
}

export function describeFigures(row: Row): string[] {
  const f = (v: unknown, digits = 1) => (typeof v === 'number' ? v.toFixed(digits) : '–');
  return [
    `  machine CPU   ${f(row['machinepercentcpuusage'])} % average`,
    `  machine RAM   ${f(row['machinepercentramusage'])} % average, peak ${f(row['machineramusage'], 0)} MB used`,
    `  durations     waited ${f(row['runwaitduration'], 0)} ms, ran ${f(row['runexecutionduration'], 0)} ms, total ${f(row['runduration'], 0)} ms`,
  ];
}

/** The session's flowlog rows, oldest first: the flow's own lines and the queue's milestones. */
export async function sessionLogs(api: DemoApi, sessionId: string): Promise<string[]> {
  const filter = encodeURIComponent(`_flowsessionid_value eq ${sessionId}`);
  const page = await api.get<{ value: Row[] }>(`flowlogs?$filter=${filter}&$orderby=seq asc&$top=500`);
  return page.value.map((log) => {
    const type = LogType.labels.get(num(log['type']) ?? -1) ?? String(log['type']);
    let data: unknown = log['data'];
    try {
      data = typeof data === 'string' ? JSON.parse(data) : data;
    } catch {
      // plain text data
    }
    const message = typeof data === 'object' && data !== null && 'message' in data ? String((data as { message: unknown }).message) : JSON.stringify(data ?? '');
    return type === 'CustomLog' ? `  | ${message}` : `  [${type}]${message && message !== '""' && message !== '{}' ? ` ${message}` : ''}`;
  });
}
