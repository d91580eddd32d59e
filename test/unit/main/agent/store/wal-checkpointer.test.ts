import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AgentStore } from '../../../../../main/agent/store/agent-store.js';
import { makeAssign } from '../../../../support/agent-assign.js';
import { waitFor } from '../../../../support/wait-for.js';

let dir: string;
let file: string;
let store: AgentStore;
let sessionId: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-wal-checkpoint-'));
  file = join(dir, 'agent.db');
  store = AgentStore.open(file, { walCheckpoint: { startAtBytes: 64 * 1024, delayMs: 1 } });
  const a = makeAssign();
  sessionId = a.session.flowsessionid;
  store.recordAssignment(a);
  store.markConfirmed(sessionId);
  store.markRunning(sessionId, { startedon: new Date().toISOString() });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const LINES = 1000;
const text = Array.from({ length: LINES }, (_, i) => `line ${String(i).padStart(53, '0')}`).join('\n');

/** Commits `mib` MiB of chunks of 60-byte lines, a turn of the event loop between commits (as a flow's reads come). */
async function writeChunks(mib: number, from = 0): Promise<number> {
  let seq = from;
  while ((seq - from) * 60 < mib * 1_048_576) {
    store.appendLogChunks(sessionId, [{ stream: 'stdout', level: 100000001, firstSeq: seq, lineCount: LINES, times: [{ at: new Date().toISOString(), lines: LINES }], text }], { deferSync: true });
    seq += LINES;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return seq;
}

it("checkpoints on a thread of its own: the database file takes the commits well before SQLite's auto-checkpoint would", async () => {
  // 2 MiB stays under the 4 MiB of SQLite's default auto-checkpoint (and far under the store's 64 MiB backstop):
  // only the checkpointer copies the WAL into the database file.
  const lines = await writeChunks(2);
  await waitFor(() => statSync(file).size > 1_500_000, { what: 'the WAL checkpointed into the database file' });
  expect(store.logTail(sessionId, 1)[0]?.seq).toBe(lines - 1);
});

it('close waits for the checkpointer: the store closes last and removes its WAL', async () => {
  await writeChunks(1);
  await waitFor(() => statSync(file).size > 500_000, { what: 'a checkpoint' });
  store.close();
  expect(existsSync(`${file}-wal`)).toBe(false);
  store = AgentStore.open(file);
  expect(store.logTail(sessionId, 1_000_000)).toHaveLength(Math.ceil(1_048_576 / 60 / LINES) * LINES);
});

it('an idle store truncates its WAL and ends the worker; a later burst of commits starts another', async () => {
  store.close();
  store = AgentStore.open(file, { walCheckpoint: { startAtBytes: 64 * 1024, delayMs: 1, idleMs: 100 } });
  const next = await writeChunks(1);
  await waitFor(() => statSync(`${file}-wal`).size === 0, { what: 'the WAL truncated once idle' });
  const before = statSync(file).size;
  await writeChunks(1, next);
  await waitFor(() => statSync(file).size > before, { what: 'the second burst checkpointed' });
});
