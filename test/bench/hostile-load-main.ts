/**
 * The hostile side of the register-storm and machine-flood benches, in its own process so its CPU is not the
 * orchestrator's. Argument: JSON HostileLoadOptions. Prints `{"started":1}` once the load runs and, on a line
 * `report` on stdin, `{"report":{…counts}}`. Stops on SIGTERM.
 *
 * - `register`: `concurrency` loops, each POSTing /agent/v1/register with a wrong password as fast as the answers
 *   come, every attempt from another address (X-Forwarded-For; the orchestrator trusts its loopback proxy); with
 *   `invalidBodies`, bodies without a password (400 before any check): the same HTTP load without scrypt.
 * - `flood`: one authenticated machine sending `events` frames of `frameMiB` (2,000 log events of many short lines,
 *   the costliest shape per byte) as fast as its socket takes them.
 * - `probe`: `count` admin API reads one after another, as a status page polls; prints `{"latency":[ms…]}` and exits.
 *   Measured from its own process, so the load's work on the orchestrator's event loop is all it waits for.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { AGENT_REGISTER_PATH, AGENT_WS_PATH, PROTOCOL_VERSION } from '../../shared/protocol.js';

interface HostileLoadOptions {
  readonly mode: 'register' | 'flood' | 'probe';
  readonly baseUrl: string;
  readonly concurrency?: number;
  readonly group?: string;
  readonly machineId?: string;
  readonly credential?: string;
  readonly frameMiB?: number;
  /** register mode: send bodies without a password (400, no check): the same HTTP load without scrypt. */
  readonly invalidBodies?: boolean;
  /** probe mode: the admin token and how many reads. */
  readonly token?: string;
  readonly count?: number;
}

const o = JSON.parse(process.argv[2] ?? '{}') as HostileLoadOptions;
const out = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
const counts: Record<string, number> = {};
const count = (key: string) => (counts[key] = (counts[key] ?? 0) + 1);
let stopping = false;
process.once('SIGTERM', () => {
  stopping = true;
  process.exit(0);
});
createInterface({ input: process.stdin }).on('line', (l) => {
  if (l.trim() === 'report') out({ report: counts });
});

const octet = () => Math.floor(Math.random() * 254) + 1;

async function registerLoop(): Promise<void> {
  while (!stopping) {
    try {
      const res = await fetch(`${o.baseUrl}${AGENT_REGISTER_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.18.${octet()}.${octet()}` },
        body: JSON.stringify(o.invalidBodies ? { group: o.group, name: 'storm' } : { group: o.group, password: 'a-wrong-password', name: 'storm' }),
      });
      await res.arrayBuffer();
      count(String(res.status));
    } catch {
      count('error');
    }
  }
}

/** The text of one frame: events seq first..first+n-1 of `sessionId`, each `lines` lines of 40 bytes. */
function floodFrame(first: number, n: number, sessionId: string, lines: number): string {
  const at = new Date().toISOString();
  const body = Array.from({ length: lines }, (_, i) => `{"seq":${i},"level":100000000,"stream":"stdout","at":"${at}","message":"${'x'.repeat(40)}"}`).join(',');
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`{"seq":${first + i},"sessionId":"${sessionId}","at":"${at}","kind":"log","lines":[${body}]}`);
  return `{"type":"events","events":[${parts.join(',')}]}`;
}

function flood(): void {
  const ws = new WebSocket(`${o.baseUrl.replace(/^http/, 'ws')}${AGENT_WS_PATH}`, { headers: { authorization: `Bearer ${o.machineId}.${o.credential}` }, perMessageDeflate: false });
  const sessionId = randomUUID();
  // 2,000 events of as many lines as make the frame `frameMiB` (14.5 MiB: ~55 lines an event).
  const perLine = floodFrame(1, 1, sessionId, 2).length - floodFrame(1, 1, sessionId, 1).length;
  const lines = Math.max(1, Math.floor(((o.frameMiB ?? 14.5) * 1_048_576) / 2000 / perLine));
  let seq = 0;
  const pump = () => {
    while (!stopping && ws.readyState === ws.OPEN && ws.bufferedAmount < 32 * 1_048_576) {
      ws.send(floodFrame(seq + 1, 2000, sessionId, lines));
      seq += 2000;
      count('framesSent');
    }
    if (ws.readyState === ws.OPEN) setTimeout(pump, 20);
  };
  ws.on('open', () =>
    ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, agentVersion: 'flood', os: 'linux', lastAckedSeq: 0, state: { capacity: 1, freeSlots: 1, paused: false, draining: false, attendedAvailable: false, sessionUsers: [], storageOk: true }, activeSessions: [] })),
  );
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as { type: string; appliedUpTo?: number; upTo?: number };
    if (frame.type === 'welcome') {
      seq = frame.appliedUpTo ?? 0;
      const now = new Date().toISOString();
      ws.send(JSON.stringify({ type: 'event', event: { seq: ++seq, sessionId, at: now, kind: 'local-session', name: 'flood', createdon: now } }));
      out({ started: 1 });
      pump();
    } else if (frame.type === 'ack') {
      counts['ackedEvents'] = frame.upTo ?? 0;
    }
  });
  ws.on('close', (code) => {
    count(`closed ${code}`);
  });
  ws.on('error', () => count('error'));
}

async function probe(): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < (o.count ?? 100); i++) {
    const t = performance.now();
    const res = await fetch(`${o.baseUrl}/api/data/v9.2/flowsessions?$select=name,statuscode&$top=20`, { headers: { authorization: `Bearer ${o.token}`, accept: 'application/json' } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`admin API answered ${res.status}`);
    ms.push(performance.now() - t);
  }
  out({ latency: ms });
  process.exit(0);
}

if (o.mode === 'probe') {
  void probe();
} else if (o.mode === 'register') {
  for (let i = 0; i < (o.concurrency ?? 64); i++) void registerLoop();
  out({ started: 1 });
} else {
  flood();
}
