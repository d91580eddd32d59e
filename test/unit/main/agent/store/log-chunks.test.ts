import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../../../../shared/protocol.js';
import { asSessionEvent } from '../../../../../shared/log-chunk.js';
import { decodeAgentFrame } from '../../../../../shared/protocol-codec.js';
import { AgentStore } from '../../../../../main/agent/store/agent-store.js';
import { migrate } from '../../../../../main/agent/store/migrations.js';
import { makeAssign } from '../../../../support/agent-assign.js';
import { tempDir } from '../../../../support/temp-dir.js';

const at = '2030-01-01T00:00:00.000Z';
const line = (seq: number, message = `line ${seq}`, stream: LogLine['stream'] = 'stdout'): LogLine => ({ seq, level: stream === 'stderr' ? 100000002 : 100000001, stream, at, message });

function running(store: AgentStore): string {
  const a = makeAssign();
  store.recordAssignment(a);
  store.markConfirmed(a.session.flowsessionid);
  store.markRunning(a.session.flowsessionid, { startedon: at });
  return a.session.flowsessionid;
}

describe('AgentStore: log chunks', () => {
  it('sends a chunk as the very `log` event JSON a copy of its lines made (the orchestrator sees no difference)', () => {
    const file = join(tempDir(), 'agent.db');
    const store = AgentStore.open(file, { now: () => new Date(at) });
    try {
      const id = running(store);
      const lines = [line(0, 'plain'), line(1, 'quote " tab\t \u0001 € 😀'), line(2, ''), { ...line(3, 'later'), at: '2030-01-01T00:00:00.005Z' }];
      const errors = [line(4, 'back\\slash\\n not a break', 'stderr'), line(5, 'x"\\', 'stderr')];
      store.appendLogLines(id, [...lines, ...errors]);
      const [, out, err] = store.encodedEventsAfter(0, 10);
      expect(out?.body).toBe(JSON.stringify({ sessionId: id, at, kind: 'log', seq: 2, lines }));
      expect(err?.body).toBe(JSON.stringify({ sessionId: id, at, kind: 'log', seq: 3, lines: errors }));
      expect(store.logTail(id, 3)).toEqual([lines[3], ...errors]);
      // Stored once: the outbox row references its chunk and holds no copy of the lines.
      const raw = new Database(file, { readonly: true });
      const stored = raw.prepare(`SELECT body FROM events WHERE kind = 'log'`).pluck().all() as string[];
      const texts = raw.prepare('SELECT text FROM log_chunks ORDER BY id').pluck().all();
      raw.close();
      expect(stored.every((b) => !b.includes('"lines"'))).toBe(true);
      expect(texts).toEqual([lines, errors].map((ls) => ls.map((l) => l.message).join('\n')));
    } finally {
      store.close();
    }
  });

  it('sends a chunk as stored in a `log-chunk` event (feature log-chunks): it decodes as an agent frame and holds the very lines of the `log` event', () => {
    const store = AgentStore.open(join(tempDir(), 'agent.db'), { now: () => new Date(at) });
    try {
      const id = running(store);
      const lines = [line(0, 'plain'), line(1, 'quote " tab\t \u0001 € 😀'), line(2, ''), { ...line(3, 'later'), at: '2030-01-01T00:00:00.005Z' }];
      const errors = [line(4, 'back\\slash\\n not a break', 'stderr')];
      store.appendLogLines(id, [...lines, ...errors]);
      const asLines = store.encodedEventsAfter(0, 10, 'lines');
      const asChunks = store.encodedEventsAfter(0, 10, 'chunks');
      expect(asChunks.map((e) => e.kind)).toEqual(['started', 'log-chunk', 'log-chunk']);
      expect(asChunks[0]).toEqual(asLines[0]);
      const decoded = decodeAgentFrame(`{"type":"events","events":[${asChunks.map((e) => e.body).join(',')}]}`);
      if (!decoded.ok || decoded.frame.type !== 'events') throw new Error(decoded.ok ? 'not events' : decoded.error);
      const [, out, err] = decoded.frame.events;
      expect(out).toEqual({ sessionId: id, at, kind: 'log-chunk', seq: 2, stream: 'stdout', level: 100000001, firstLine: 0, times: [[at, 3], ['2030-01-01T00:00:00.005Z', 1]], text: lines.map((l) => l.message).join('\n') });
      expect(err).toMatchObject({ kind: 'log-chunk', stream: 'stderr', firstLine: 4, times: [[at, 1]] });
      expect(decoded.frame.events.map(asSessionEvent)).toEqual(asLines.map((e) => JSON.parse(e.body) as unknown));
    } finally {
      store.close();
    }
  });

  it('migrates a store of the previous schema: its log lines read as before, its events with copies are sent as stored', () => {
    const file = join(tempDir(), 'agent.db');
    const db = new Database(file);
    migrate(db, 4);
    const assign = makeAssign();
    const id = assign.session.flowsessionid;
    db.prepare(`INSERT INTO sessions (id, stage, statuscode, assign, acceptedon, startedon) VALUES (?, 'running', 2, ?, ?, ?)`).run(id, JSON.stringify(assign), at, at);
    const old = [line(0), line(1, 'two'), line(2, 'oops', 'stderr')];
    const insert = db.prepare('INSERT INTO log_lines (session_id, seq, level, stream, at, message, event_seq) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const l of old) insert.run(id, l.seq, l.level, l.stream, l.at, l.message, l.seq < 2 ? 1 : 2);
    const bodies = [
      JSON.stringify({ sessionId: id, at, kind: 'log', seq: 1, lines: old.slice(0, 2) }),
      JSON.stringify({ sessionId: id, at, kind: 'log', seq: 2, lines: old.slice(2) }),
    ];
    bodies.forEach((body, i) => db.prepare(`INSERT INTO events (seq, session_id, kind, body) VALUES (?, ?, 'log', ?)`).run(i + 1, id, body));
    db.prepare(`UPDATE meta SET value = 2 WHERE key = 'last_seq'`).run();
    db.close();

    let clock = new Date(at);
    const store = AgentStore.open(file, { now: () => clock });
    try {
      expect(store.logTail(id, 10)).toEqual(old);
      expect(store.encodedEventsAfter(0, 10).map((e) => e.body)).toEqual(bodies);
      store.appendLogLines(id, [line(3, 'new')]);
      expect(store.logTail(id, 2)).toEqual([old[2], line(3, 'new')]);
      expect(store.eventsAfter(2, 10)).toEqual([{ sessionId: id, at, kind: 'log', seq: 3, lines: [line(3, 'new')] }]);
      // Retention counts lines, old and new alike.
      store.complete(id, { statuscode: 4, completedon: at });
      store.ackUpTo(store.lastSeq());
      clock = new Date(clock.getTime() + 120_000);
      expect(store.prune({ maxAgeMs: 60_000 }).logLines).toBe(4);
      expect(store.logTail(id, 10)).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('renumbers the events of chunks with the outbox and sends them after the rebase', () => {
    const store = AgentStore.open(join(tempDir(), 'agent.db'), { now: () => new Date(at) });
    try {
      const id = running(store);
      store.appendLogLines(id, [line(0), line(1)]);
      store.rebaseOutbox(100);
      const events = store.eventsAfter(100, 10);
      expect(events.map((e) => [e.seq, e.kind])).toEqual([
        [101, 'started'],
        [102, 'log'],
      ]);
      expect(events[1]).toMatchObject({ lines: [line(0), line(1)] });
    } finally {
      store.close();
    }
  });
});
