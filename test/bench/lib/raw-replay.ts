import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { nowMs } from './stats.js';

/**
 * The raw limit of upstream replay on this machine: a bare `ws` client sends pre-encoded event frames with
 * the same window as the agent's uploader (1000 unacked); a bare `ws` server parses each, inserts it as one
 * row into SQLite (WAL, synchronous=FULL), commits once per burst and acks. Returns events/s.
 */
export async function rawReplay(frames: readonly string[], window = 1000): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'flowhost-bench-raw-replay-'));
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE applied (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO applied (seq, body) VALUES (?, ?)');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((resolve) => wss.once('listening', resolve));
  wss.on('connection', (ws) => {
    let burst: { seq: number; body: string }[] = [];
    const apply = db.transaction((rows: typeof burst) => rows.forEach((r) => insert.run(r.seq, r.body)));
    ws.on('message', (data) => {
      const text = data.toString();
      const frame = JSON.parse(text) as { event: { seq: number } };
      if (burst.length === 0) {
        setImmediate(() => {
          const rows = burst;
          burst = [];
          apply(rows);
          ws.send(JSON.stringify({ type: 'ack', upTo: rows[rows.length - 1]!.seq }));
        });
      }
      burst.push({ seq: frame.event.seq, body: text });
    });
  });
  try {
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, { perMessageDeflate: false });
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    const t0 = nowMs();
    await new Promise<void>((resolve) => {
      let sent = 0;
      let acked = 0;
      const pump = () => {
        while (sent < frames.length && sent - acked < window) client.send(frames[sent++]!);
      };
      client.on('message', (data) => {
        acked = (JSON.parse(data.toString()) as { upTo: number }).upTo;
        if (acked >= frames.length) resolve();
        else pump();
      });
      pump();
    });
    const rate = frames.length / ((nowMs() - t0) / 1000);
    client.close();
    return rate;
  } finally {
    await new Promise((resolve) => wss.close(resolve));
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
