import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './wait-for.js';

/**
 * Prometheus for the metrics tests: scrape a `/metrics` endpoint and read its samples, check the text with the real
 * `promtool check metrics`, and run a real Prometheus server that scrapes a target (Debian's `prometheus` package
 * ships both binaries; `.ci/run` installs it).
 */

const onPath = (tool: string): boolean => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
export const hasPromtool = onPath('promtool');
export const hasPrometheus = onPath('prometheus');

/** `GET <base>/metrics` with the bearer token (none when undefined); status and body. */
export async function scrape(base: string, token: string | undefined): Promise<{ status: number; contentType: string | null; text: string }> {
  const res = await fetch(`${base}/metrics`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

/** The value of the sample `name` whose labels include `labels`, or undefined when the text has none. */
export function sampleValue(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = new Map([...(m[2] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    if (Object.entries(labels).every(([k, v]) => found.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

/** `promtool check metrics` over the text: its exit code and what it printed (empty when the text is clean). */
export function promtoolCheck(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/** A port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface PrometheusServer {
  readonly url: string;
  /** An instant query over the HTTP API; the `data.result` vector. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  close(): Promise<void>;
}

/**
 * A real Prometheus on a free loopback port, its config and data in `dir`, scraping `target` (host:port) every
 * second with the token in `tokenFile` (`authorization.credentials_file`, as an operator would set it up).
 */
export async function startPrometheus(dir: string, target: string, tokenFile: string): Promise<PrometheusServer> {
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      'scrape_configs:',
      '  - job_name: flowhost-orchestrator',
      '    authorization:',
      `      credentials_file: ${tokenFile}`,
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (log = (log + chunk).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const server: PrometheusServer = {
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; data?: { result?: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`query ${expr}: ${JSON.stringify(body)}`);
      return body.data?.result ?? [];
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  try {
    await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, { what: 'prometheus to be ready', timeoutMs: 30_000, intervalMs: 100 });
  } catch (err) {
    await server.close();
    throw new Error(`${(err as Error).message}; prometheus said: ${log.slice(-2000)}`);
  }
  return server;
}
