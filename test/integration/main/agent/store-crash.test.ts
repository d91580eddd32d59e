import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { AgentStore } from '../../../../main/agent/store/agent-store.js';

const fixture = fileURLToPath(new URL('../../../fixtures/store-writer.ts', import.meta.url));
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it.each([
  ['fsync', 'each commit waits for its fsync'],
  ['deferred', 'group commits (no fsync before they return)'],
  ['session-log', "a session log's chunks, group-committed"],
  ['checkpointed', "a session log's chunks while the WAL checkpointer copies the WAL into the database on its thread"],
])('loses nothing committed when the writing process gets SIGKILL: %s, %s', async (mode) => {
  dir = mkdtempSync(join(tmpdir(), 'agent-crash-'));
  const file = join(dir, 'agent.db');
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, file, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let last = { seq: 0, lines: 0, id: '' };
  for await (const text of createInterface({ input: child.stdout })) {
    const [, seq, lines, id] = text.split(' ');
    last = { seq: Number(seq), lines: Number(lines), id: id as string };
    // In `checkpointed`, only once the database file holds checkpointed pages (the kill lands among checkpoints).
    if (last.seq >= 40 && (mode !== 'checkpointed' || statSync(file).size > 1_048_576)) break;
  }
  child.kill('SIGKILL');
  const [, signal] = (await new Promise((resolve) => child.once('exit', (...a) => resolve(a)))) as [number | null, string | null];
  expect(signal).toBe('SIGKILL');

  const store = AgentStore.open(file);
  try {
    // Everything the child reported committed is there (and possibly a bit more it had no time to report).
    expect(store.lastSeq()).toBeGreaterThanOrEqual(last.seq);
    const events = store.eventsAfter(0, 10_000);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    const logLines = events.flatMap((e) => (e.kind === 'log' ? e.lines : []));
    expect(logLines.length).toBeGreaterThanOrEqual(last.lines);
    expect(logLines.map((l) => l.seq)).toEqual(Array.from({ length: logLines.length }, (_, i) => i));
    expect(store.logTail(last.id, 1_000_000)).toEqual(logLines);
    expect(store.getSession(last.id)?.stage).toBe('running');
    expect(store.getSession(last.id)?.pid).toBe(child.pid);
  } finally {
    store.close();
  }
});
