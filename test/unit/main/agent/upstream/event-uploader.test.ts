import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import Database from 'better-sqlite3';
import { MAX_FRAME_BYTES, type WireEvent as SessionEvent } from '../../../../../shared/protocol.js';
import { decodeAgentFrame } from '../../../../../shared/protocol-codec.js';
import { AgentStore } from '../../../../../main/agent/store/agent-store.js';
import { EventUploader, type EventUploaderOptions } from '../../../../../main/agent/upstream/event-uploader.js';
import { waitFor } from '../../../../support/wait-for.js';

const logger = winston.createLogger({ silent: true });
let dir: string;
let store: AgentStore;
let sessionId: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowhost-uploader-'));
  store = AgentStore.open(join(dir, 'agent.db'));
  sessionId = randomUUID();
  lineSeq = 0;
  store.recordAssignment({
    type: 'assign',
    session: { flowsessionid: sessionId, name: 's', workflowid: randomUUID(), runmode: 2, priority: 0, timeout: 60, createdon: new Date().toISOString() },
    flow: { schemaversion: 1, kind: 'command', argv: ['true'] },
    inputs: '{}',
    secretInputs: [],
  });
  store.markConfirmed(sessionId);
  store.markRunning(sessionId, { startedon: new Date().toISOString() });
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

let lineSeq = 0;
/** Appends `n` log events (one transaction each, so one event each). */
function logEvents(n: number, size = 10): void {
  for (let i = 0; i < n; i++) {
    store.appendLogLines(sessionId, [{ seq: lineSeq++, level: 100000002, stream: 'stdout', at: new Date().toISOString(), message: 'x'.repeat(size) }]);
  }
}

function uploader(extra: Partial<EventUploaderOptions> = {}) {
  const sent: SessionEvent[] = [];
  const frames: string[] = [];
  let open = true;
  const u = new EventUploader({
    store,
    logger,
    send: (text: string) => {
      if (!open) return false;
      const frame = decodeAgentFrame(text);
      if (!frame.ok) throw new Error(frame.error);
      if (frame.frame.type === 'events') sent.push(...frame.frame.events);
      if (frame.frame.type === 'event') sent.push(frame.frame.event);
      frames.push(frame.frame.type);
      return true;
    },
    ...extra,
  });
  return { u, sent, frames, setOpen: (v: boolean) => (open = v) };
}

const seqs = (events: SessionEvent[]) => events.map((e) => e.seq);
const microtasks = () => new Promise((resolve) => setImmediate(resolve));

describe('EventUploader', () => {
  it('sends one event per `event` frame to an orchestrator that did not declare `events`, and batches again for one that does', () => {
    logEvents(3);
    let declared = false;
    const { u, sent, frames } = uploader({ takesEventsFrames: () => declared });
    u.start(0);
    expect(frames).toEqual(['event', 'event', 'event', 'event']);
    expect(seqs(sent)).toEqual([1, 2, 3, 4]);
    u.acked(4);
    expect(store.pendingEventCount()).toBe(0);
    u.stop();
    // The next connection's orchestrator declared them: asked again at its start.
    declared = true;
    logEvents(2);
    u.start(4);
    expect(frames.slice(4)).toEqual(['events']);
    expect(seqs(sent)).toEqual([1, 2, 3, 4, 5, 6]);
    u.close();
  });

  it('reads (and so encodes) about one frame of events at a time: a backlog of big log chunks is not encoded again for every frame', () => {
    logEvents(60, 50_000); // ~50 KB an event: 5 a frame of 256 KiB
    const { u, sent } = uploader({ frameBytes: 256 * 1024, maxInFlightBytes: 64 * 1024 * 1024, takesLogChunks: () => true });
    let read = 0;
    const encodedEventsAfter = store.encodedEventsAfter.bind(store);
    store.encodedEventsAfter = (seq, limit, logs) => {
      const events = encodedEventsAfter(seq, limit, logs);
      read += events.length;
      return events;
    };
    u.start(0);
    expect(seqs(sent)).toEqual(Array.from({ length: 61 }, (_, i) => i + 1));
    expect(sent.slice(1).every((e) => e.kind === 'log-chunk')).toBe(true);
    // The first read does not know the events' size yet (it reads them all); then a frame's worth (and one) at a time,
    // where reading up to the byte window re-read the rest of the backlog for every frame (~400 here).
    expect(read).toBeLessThan(3 * 61);
    u.close();
  });

  it('reads no event before it is durable (a deferred commit is read once fsync-ed, not read and dropped before)', async () => {
    const { u, sent } = uploader();
    u.start(0);
    expect(seqs(sent)).toEqual([1]);
    const requested: number[] = [];
    const encodedEventsAfter = (store as unknown as { events: AgentStore }).events.encodedEventsAfter.bind((store as unknown as { events: AgentStore }).events);
    (store as unknown as { events: AgentStore }).events.encodedEventsAfter = (seq, limit, logs) => {
      requested.push(limit);
      return encodedEventsAfter(seq, limit, logs);
    };
    store.appendLogLines(sessionId, [{ seq: 0, level: 100000002, stream: 'stdout', at: new Date().toISOString(), message: 'deferred' }], { deferSync: true });
    expect(store.encodedEventsAfter(1, 100)).toEqual([]);
    expect(requested).toEqual([]);
    await store.flushed();
    await waitFor(() => sent.length === 2, { what: 'the deferred event sent once durable' });
    expect(requested).toEqual([1]);
    u.close();
  });

  it('sends the outbox in seq order within the window and deletes events only on ack', async () => {
    logEvents(5); // seq 2..6 after the `started` event (seq 1)
    const { u, sent } = uploader({ maxInFlightEvents: 3 });
    u.start(0);
    expect(seqs(sent)).toEqual([1, 2, 3]);
    expect(store.pendingEventCount()).toBe(6);
    u.acked(2);
    expect(store.pendingEventCount()).toBe(4);
    expect(seqs(sent)).toEqual([1, 2, 3, 4, 5]);
    u.acked(5);
    expect(seqs(sent)).toEqual([1, 2, 3, 4, 5, 6]);
    u.acked(6);
    expect(store.pendingEventCount()).toBe(0);
    expect(u.unacked).toEqual({ events: 0, bytes: 0 });
    u.close();
  });

  it('sends events committed later without being asked', async () => {
    const { u, sent } = uploader();
    u.start(0);
    expect(seqs(sent)).toEqual([1]);
    logEvents(2);
    await microtasks();
    expect(seqs(sent)).toEqual([1, 2, 3]);
    u.close();
  });

  it('bounds the unacked bytes', () => {
    logEvents(4, 1000);
    const { u, sent } = uploader({ maxInFlightBytes: 2500 });
    u.start(0);
    // started (small) + two 1000-char lines reach 2500 bytes; the third waits for an ack.
    expect(seqs(sent)).toEqual([1, 2, 3]);
    expect(u.unacked.bytes).toBeGreaterThanOrEqual(2500);
    u.acked(3);
    expect(seqs(sent)).toEqual([1, 2, 3, 4, 5]);
    u.close();
  });

  it('after a reconnect replays from what the orchestrator applied, and acks the store up to it', async () => {
    logEvents(4);
    const { u, sent, setOpen } = uploader();
    u.start(0);
    expect(seqs(sent)).toEqual([1, 2, 3, 4, 5]);
    // The link drops before any ack; the orchestrator had applied 1..3.
    setOpen(false);
    u.stop();
    logEvents(1);
    await microtasks();
    expect(sent).toHaveLength(5);
    setOpen(true);
    sent.length = 0;
    u.start(3);
    expect(store.lastAckedSeq()).toBe(3);
    expect(seqs(sent)).toEqual([4, 5, 6]);
    u.close();
  });

  it('stops sending when the connection refuses a frame, and resumes on the next start', () => {
    logEvents(3);
    const { u, sent, setOpen } = uploader();
    setOpen(false);
    u.start(0);
    expect(sent).toEqual([]);
    setOpen(true);
    u.start(0);
    expect(seqs(sent)).toEqual([1, 2, 3, 4]);
    u.close();
  });

  it('an outbox that lost its count (orchestrator applied more than it holds) numbers after appliedUpTo, unsent events included', async () => {
    logEvents(1);
    const { u, sent } = uploader();
    u.start(10);
    // Seqs 1..2 would be taken for duplicates of what the orchestrator applied: they become 11..12.
    expect(seqs(sent)).toEqual([11, 12]);
    expect(sent.map((e) => e.kind)).toEqual(['started', 'log']);
    expect(store.lastAckedSeq()).toBe(10);
    logEvents(1);
    await microtasks();
    expect(seqs(sent)).toEqual([11, 12, 13]);
    u.acked(13);
    expect(store.pendingEventCount()).toBe(0);
    expect(store.lastSeq()).toBe(13);
    u.close();
  });

  it('an empty outbox behind the orchestrator continues after appliedUpTo', () => {
    const { u, sent } = uploader();
    u.start(0);
    u.acked(1);
    expect(store.pendingEventCount()).toBe(0);
    u.start(40);
    expect(sent).toHaveLength(1);
    expect(store.lastSeq()).toBe(40);
    expect(store.lastAckedSeq()).toBe(40);
    logEvents(1);
    u.start(40);
    expect(seqs(sent)).toEqual([1, 41]);
    u.close();
  });

  it('an orchestrator that lost its count (applied below our acks) gets the unsent events renumbered from appliedUpTo + 1, no gap', () => {
    logEvents(5); // seqs 1..6
    const { u, sent } = uploader();
    u.start(0);
    u.acked(4);
    sent.length = 0;
    u.start(2);
    expect(seqs(sent)).toEqual([3, 4]);
    expect(store.lastAckedSeq()).toBe(2);
    expect(store.lastSeq()).toBe(4);
    expect(store.eventsAfter(0, 10).map((e) => (e.kind === 'log' ? e.lines[0]!.seq : -1))).toEqual([3, 4]);
    u.close();
  });
});

describe('EventUploader and the frame limit', () => {
  it('sends the largest legal outputs event in one frame, without an error', () => {
    const errors: string[] = [];
    const capture = winston.createLogger({
      transports: [new winston.transports.Stream({ stream: new (class extends Writable {
        override _write(chunk: Buffer, _enc: string, cb: () => void) {
          errors.push(String(chunk));
          cb();
        }
      })() })],
    });
    // Worst case for the frame's size: characters that JSON escapes twice over (once in outputs, once in the frame).
    const outputs = JSON.stringify({ big: '€"'.repeat(399_990) });
    expect(outputs.length).toBeLessThanOrEqual(2_000_000);
    store.complete(sessionId, { statuscode: 4, completedon: new Date().toISOString(), outputs });
    const sent: number[] = [];
    const u = new EventUploader({ store, logger: capture, send: (text) => (sent.push(...(JSON.parse(text) as { events: { seq: number }[] }).events.map((e) => e.seq)), true) });
    u.start(0);
    expect(sent).toEqual([1, 2, 3]);
    expect(errors.join('')).toBe('');
    u.close();
  });
});

describe('EventUploader frames', () => {
  it('packs consecutive events into events frames of at most maxEventsPerFrame', () => {
    logEvents(6); // seqs 1..7
    const { u, sent, frames } = uploader({ maxEventsPerFrame: 3 });
    u.start(0);
    expect(seqs(sent)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(frames).toEqual(['events', 'events', 'events']);
    expect(u.unacked.events).toBe(7);
    u.acked(7);
    expect(u.unacked).toEqual({ events: 0, bytes: 0 });
    u.close();
  });

  it('fills a frame up to frameBytes; an event larger than that goes alone', () => {
    logEvents(2, 100);
    logEvents(1, 5000);
    logEvents(2, 100); // seqs 1 started, 2..3 small, 4 big, 5..6 small
    const texts: string[] = [];
    const u = new EventUploader({ store, logger, frameBytes: 1000, send: (text) => (texts.push(text), true) });
    u.start(0);
    const framed = texts.map((t) => (JSON.parse(t) as { events: SessionEvent[] }).events.map((e) => e.seq));
    expect(framed).toEqual([[1, 2, 3], [4], [5, 6]]);
    expect(texts.every((t, i) => i === 1 || Buffer.byteLength(t) <= 1000)).toBe(true);
    u.close();
  });

  it('an acked part of a frame leaves the window; the rest stays counted', () => {
    logEvents(3); // seqs 1..4, one frame
    const { u } = uploader();
    u.start(0);
    const whole = u.unacked;
    expect(whole.events).toBe(4);
    u.acked(2);
    expect(u.unacked.events).toBe(2);
    expect(u.unacked.bytes).toBe(Math.round(whole.bytes / 2));
    u.close();
  });

  it('an event too large for any frame blocks the upload at it, with an error; what comes before is sent', async () => {
    logEvents(1); // seqs 1..2
    const raw = new Database(join(dir, 'agent.db'));
    const seq = store.lastSeq() + 1;
    const huge = JSON.stringify({ seq, sessionId, at: new Date().toISOString(), kind: 'outputs', outputs: 'x'.repeat(MAX_FRAME_BYTES) });
    raw.transaction(() => {
      raw.prepare('INSERT INTO events (seq, session_id, kind, body) VALUES (?, ?, ?, ?)').run(seq, sessionId, 'outputs', huge);
      raw.prepare(`UPDATE meta SET value = ? WHERE key = 'last_seq'`).run(seq);
    })();
    raw.close();
    const errors: string[] = [];
    let blocked!: () => void;
    const logged = new Promise<void>((resolve) => (blocked = resolve));
    const capture = winston.createLogger({
      transports: [
        new winston.transports.Stream({
          stream: new Writable({
            write: (chunk: Buffer, _enc, cb) => {
              errors.push(String(chunk));
              if (String(chunk).includes('upload is blocked')) blocked();
              cb();
            },
          }),
        }),
      ],
    });
    const { u, sent } = uploader({ logger: capture });
    u.start(0);
    // The row another connection committed is sent once the store has made it durable.
    await logged;
    expect(seqs(sent)).toEqual([1, 2]);
    expect(errors.join('')).toContain(`event seq ${seq} (outputs, session ${sessionId}) is`);
    u.acked(2);
    expect(seqs(sent)).toEqual([1, 2]);
    u.close();
  });
});
