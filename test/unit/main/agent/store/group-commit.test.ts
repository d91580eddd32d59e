import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLine } from '../../../../../shared/protocol.js';
import { AgentStore } from '../../../../../main/agent/store/agent-store.js';
import { StoreDb } from '../../../../../main/agent/store/store-db.js';
import { makeAssign } from '../../../../support/agent-assign.js';

let dir: string;
let store: AgentStore;
let sessionId: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-group-commit-'));
  store = AgentStore.open(join(dir, 'agent.db'));
  const a = makeAssign();
  sessionId = a.session.flowsessionid;
  store.recordAssignment(a);
  store.markConfirmed(sessionId);
  store.markRunning(sessionId, { startedon: new Date().toISOString() }); // seq 1, fsync'd
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const line = (seq: number): LogLine => ({ seq, level: 100000001, stream: 'stdout', at: new Date().toISOString(), message: `line ${seq}` });
const seqs = (s: AgentStore) => s.encodedEventsAfter(0, 100).map((e) => e.seq);
const DEFER = { deferSync: true };

describe('AgentStore group commit', () => {
  it('hands deferred events to the uploader only once fsync-ed; the commits of one turn share one fsync and one notification', async () => {
    let notified = 0;
    store.onEvent(() => notified++);
    const heard = new Promise<void>((resolve) => store.onEvent(resolve));
    store.appendLogLines(sessionId, [line(0)], DEFER);
    store.appendLogLines(sessionId, [line(1)], DEFER);
    expect(store.eventsAfter(0, 100).map((e) => e.seq)).toEqual([1, 2, 3]); // committed (they survive a kill -9)
    expect(seqs(store)).toEqual([1]); // not durable yet: not sent
    expect(notified).toBe(0);
    await store.flushed();
    expect(seqs(store)).toEqual([1, 2, 3]);
    await heard;
    expect(notified).toBe(1);
  });

  it('an fsync-ed commit makes the deferred ones before it durable at once', () => {
    store.appendLogLines(sessionId, [line(0)], DEFER);
    store.appendLogLines(sessionId, [line(1)]);
    expect(seqs(store)).toEqual([1, 2, 3]);
  });

  it('sends events another process committed to the same file once this one has fsync-ed the WAL', async () => {
    const other = AgentStore.open(join(dir, 'agent.db'));
    try {
      other.appendLogLines(sessionId, [line(0)]);
    } finally {
      other.close();
    }
    const heard = new Promise<void>((resolve) => store.onEvent(resolve));
    expect(seqs(store)).toEqual([1]);
    await heard;
    expect(seqs(store)).toEqual([1, 2]);
  });

  it('a session completion with a callback is fsync-ed before it returns (its callback may leave at once)', () => {
    const a = makeAssign({ session: { callbackurl: 'https://example.test/cb' } });
    const id = a.session.flowsessionid;
    store.recordAssignment(a);
    store.markConfirmed(id);
    store.markRunning(id, { startedon: new Date().toISOString() });
    store.complete(id, { statuscode: 4, completedon: new Date().toISOString() }, DEFER);
    expect(store.encodedEventsAfter(0, 100).at(-1)?.kind).toBe('completed');
    expect(store.pendingCallbackCount()).toBe(1);
  });
});

describe('StoreDb', () => {
  it('crashSafe commits without fsync and leaves synchronous=FULL, also when its transaction throws', () => {
    const db = new Database(join(dir, 'raw.db'));
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec('CREATE TABLE t (v INTEGER)');
      const q = new StoreDb(db);
      q.crashSafe(() => q.sql('INSERT INTO t VALUES (1)').run());
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(() =>
        q.crashSafe(() => {
          q.sql('INSERT INTO t VALUES (2)').run();
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(db.prepare('SELECT v FROM t').pluck().all()).toEqual([1]);
      // Inside a caller's transaction it is part of that transaction.
      q.durable(() => q.crashSafe(() => q.sql('INSERT INTO t VALUES (3)').run()));
      expect(db.prepare('SELECT v FROM t').pluck().all()).toEqual([1, 3]);
      q.close();
    } finally {
      db.close();
    }
  });
});
