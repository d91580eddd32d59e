import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { MAX_EVENTS_PER_FRAME, type SessionEvent } from '../../../shared/protocol.js';
import { nowMs } from './stats.js';

/** One pre-encoded `events` frame: its text, its event count and the seq of its last event. */
export interface RawFrame {
  readonly text: string;
  readonly events: number;
  readonly lastSeq: number;
}

/** Encodes events as the agent's uploader frames them: consecutive events, MAX_EVENTS_PER_FRAME a frame. */
export function rawFrames(events: readonly SessionEvent[]): RawFrame[] {
  const frames: RawFrame[] = [];
  for (let i = 0; i < events.length; i += MAX_EVENTS_PER_FRAME) {
    const chunk = events.slice(i, i + MAX_EVENTS_PER_FRAME);
    frames.push({ text: JSON.stringify({ type: 'events', events: chunk }), events: chunk.length, lastSeq: chunk[chunk.length - 1]!.seq });
  }
  return frames;
}

/**
 * The raw limit of upstream replay on this machine, on the same wire shape as flowhost: a bare `ws` client sends
 * pre-encoded `events` frames with the uploader's window (20,000 unacked events, 4 MiB); a bare `ws` server parses
 * each frame, inserts every event's lines as one row into SQLite (WAL, synchronous=FULL) with a prepared statement,
 * commits once per burst (the frames of one turn of the event loop) and acks. No validation, no clock mapping, no
 * per-session bookkeeping. Returns events/s.
 */
export async function rawReplay(frames: readonly RawFrame[], windowEvents = 20_000, windowBytes = 4 * 1024 * 1024): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'flowhost-bench-raw-replay-'));
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE applied (seq INTEGER PRIMARY KEY, session_id TEXT NOT NULL, lines TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO applied (seq, session_id, lines) VALUES (?, ?, ?)');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((resolve) => wss.once('listening', resolve));
  wss.on('connection', (ws) => {
    let burst: SessionEvent[][] = [];
    const apply = db.transaction((batches: typeof burst) => {
      for (const events of batches) for (const e of events) insert.run(e.seq, e.sessionId, JSON.stringify(e.kind === 'log' ? e.lines : e));
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { events: SessionEvent[] };
      if (burst.length === 0) {
        setImmediate(() => {
          const batches = burst;
          burst = [];
          apply(batches);
          const last = batches[batches.length - 1]!;
          ws.send(JSON.stringify({ type: 'ack', upTo: last[last.length - 1]!.seq }));
        });
      }
      burst.push(frame.events);
    });
  });
  try {
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, { perMessageDeflate: false });
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    const total = frames.reduce((n, f) => n + f.events, 0);
    const t0 = nowMs();
    await new Promise<void>((resolve) => {
      let sent = 0;
      let acked = 0;
      const inFlight: RawFrame[] = [];
      let events = 0;
      let bytes = 0;
      const pump = () => {
        while (sent < frames.length && events < windowEvents && bytes < windowBytes) {
          const f = frames[sent++]!;
          client.send(f.text);
          inFlight.push(f);
          events += f.events;
          bytes += f.text.length;
        }
      };
      client.on('message', (data) => {
        acked = (JSON.parse(data.toString()) as { upTo: number }).upTo;
        while (inFlight.length > 0 && inFlight[0]!.lastSeq <= acked) {
          const f = inFlight.shift()!;
          events -= f.events;
          bytes -= f.text.length;
        }
        if (acked >= frames[frames.length - 1]!.lastSeq) resolve();
        else pump();
      });
      pump();
    });
    const rate = total / ((nowMs() - t0) / 1000);
    client.close();
    return rate;
  } finally {
    await new Promise((resolve) => wss.close(resolve));
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
