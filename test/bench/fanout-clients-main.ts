/**
 * One client process of the fan-out bench: connects its share of machines (lean protocol agents, or bare sockets
 * for the raw baseline), then reports on stdout, one JSON line each: `{"connected":n}` once all are in,
 * `{"assign":[sessionId, ms]}` per assign received, `{"closed":1}` per socket that dropped, and on a line `count`
 * on stdin, `{"open":n}`. Stops on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { LeanAgent } from './lib/lean-agent.js';

interface ClientsOptions {
  readonly mode: 'lean' | 'bare';
  readonly baseUrl: string;
  /** A JSON file with this process's machine ids. */
  readonly idsFile: string;
  readonly credential: string;
  readonly concurrency: number;
}

const o = JSON.parse(process.argv[2] ?? '{}') as ClientsOptions;
const machineIds = JSON.parse(readFileSync(o.idsFile, 'utf8')) as string[];
const out = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
let open = 0;

function connectOne(machineId: string): Promise<void> {
  if (o.mode === 'bare') {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(o.baseUrl, { perMessageDeflate: false });
      ws.on('open', () => {
        open++;
        resolve();
      });
      ws.on('error', reject);
      ws.on('close', () => open--);
    });
  }
  const agent = new LeanAgent({
    baseUrl: o.baseUrl,
    machineId,
    credential: o.credential,
    onAssign: (sessionId, atMs) => out({ assign: [sessionId, atMs] }),
    onClose: () => {
      open--;
      out({ closed: 1 });
    },
  });
  return agent.connect().then(() => {
    open++;
  });
}

async function connectAll(): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < machineIds.length) {
      const id = machineIds[next++]!;
      // A refused or failed connect (e.g. 429 under a storm) is retried after a short pause, as agents do.
      for (let attempt = 0; ; attempt++) {
        try {
          await connectOne(id);
          break;
        } catch (err) {
          if (attempt >= 20) throw err;
          await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  out({ connected: open });
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'count') out({ open });
});
process.once('SIGTERM', () => process.exit(0));
await connectAll();
