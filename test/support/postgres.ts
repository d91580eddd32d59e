import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { lookupUser } from '../../main/agent/process/session-user.js';
import { freePort } from './prometheus.js';
import { isRoot, LINUX, type Requirement } from './requirements.js';
import { waitFor } from './wait-for.js';

/**
 * A private PostgreSQL for the store tests, from the Debian package (`.ci/run` installs `postgresql`; its server
 * binaries live in /usr/lib/postgresql/<version>/bin, off PATH): `initdb` in a temp dir, run as `nobody` when we are
 * root (initdb and postgres refuse root), on a free loopback port with its socket in the temp dir, password
 * (SCRAM) authentication on both. The postmaster leads its own process group, so `kill` is a kill -9 of the whole
 * server (postmaster and backends, as when its machine dies); `close` always stops it and removes the directory, and
 * a test process that exits without `close` kills it on the way out.
 */

/** The newest installed server's bin directory, or undefined. */
function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

const binDir = process.platform === 'linux' ? findBinDir() : undefined;
/** The server account: `nobody` when we are root, ourselves otherwise. */
const runAs = isRoot ? lookupUser('nobody') : undefined;
export const hasPostgres = binDir !== undefined && (!isRoot || runAs !== undefined);
export const POSTGRES: Requirement = {
  what: 'PostgreSQL server (Debian package postgresql: initdb and postgres in /usr/lib/postgresql/<version>/bin; as root, the nobody account)',
  platforms: LINUX,
};

const READY = 'database system is ready to accept connections';

/** Waits for its stdin to close (the test process gone), then stops postgres ($1) fast and removes its directory ($2). */
const WATCHDOG = 'read _; kill -INT "$1" 2>/dev/null; while kill -0 "$1" 2>/dev/null; do sleep 0.2; done; rm -rf "$2"';

/** The state and parent of every process, from /proc (Linux, as the Debian package is). */
function processes(): { pid: number; ppid: number; state: string }[] {
  const out: { pid: number; ppid: number; state: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid …; comm may hold spaces and parentheses, so parse after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state = '', ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid: Number(entry), ppid: Number(ppid), state });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Whether `pid` runs (a zombie, waiting for its parent to collect it, does not). */
export function running(pid: number): boolean {
  return processes().some((p) => p.pid === pid && p.state !== 'Z');
}

export interface PostgresServer {
  readonly port: number;
  /** Directory of the unix socket (`host` for pg). */
  readonly socketDir: string;
  readonly user: string;
  readonly password: string;
  /** pg connection settings over the unix socket (database `postgres` by default). */
  connection(database?: string): pg.ClientConfig;
  /** `postgres://…@127.0.0.1:<port>/<database>`, as an orchestrator would be given it. */
  url(database?: string): string;
  /** A new empty database; its name. */
  createDatabase(): Promise<string>;
  /** Fast shutdown (clients disconnected, then a clean stop). */
  stop(): Promise<void>;
  /** kill -9 of the postmaster and every backend. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data (crash recovery after `kill`). */
  start(): Promise<void>;
  /** Stops it (kill -9 when it does not stop) and removes its directory. */
  close(): Promise<void>;
}

/** Runs a server binary as the server account; throws with its output when it fails. */
function runTool(tool: string, args: string[], env: NodeJS.ProcessEnv): void {
  const r = spawnSync(join(binDir!, tool), args, { env, encoding: 'utf8', timeout: 60_000, ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}) });
  if (r.status !== 0) throw new Error(`${tool} failed (${r.status ?? r.signal}): ${r.stdout}${r.stderr}`);
}

export async function startPostgres(): Promise<PostgresServer> {
  if (!binDir) throw new Error(`no ${POSTGRES.what}`);
  const dir = mkdtempSync(join(tmpdir(), 'flowhost-pg-'));
  const data = join(dir, 'data');
  const own = (path: string) => runAs && chownSync(path, runAs.uid, runAs.gid);
  own(dir);
  const env: NodeJS.ProcessEnv = { PATH: `${binDir}:/usr/bin:/bin`, HOME: dir, LC_ALL: 'C.UTF-8', TZ: 'UTC' };
  const user = 'flowhost';
  const password = randomBytes(18).toString('base64url');

  let child: ChildProcess | undefined;
  let watchdog: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let log = '';
  let port = 0;
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  /**
   * kill -9 of the postmaster and every process it started (each backend leads its own process group, so a signal to
   * the postmaster's group would miss them): stopped first so that it forks no more, then all killed at once. The
   * pids of the processes it left, to wait for.
   */
  const killServer = (): number[] => {
    const pid = child?.pid;
    if (!alive() || pid === undefined) return [];
    try {
      process.kill(pid, 'SIGSTOP');
    } catch {
      return [];
    }
    const children = processes().filter((p) => p.ppid === pid).map((p) => p.pid);
    for (const target of [pid, ...children]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    return children;
  };
  const onExit = () => {
    watchdog?.kill('SIGKILL');
    killServer();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const launch = async (): Promise<void> => {
    log = '';
    const proc = spawn(
      join(binDir, 'postgres'),
      ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200'],
      { env, stdio: ['ignore', 'ignore', 'pipe'], ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}) },
    );
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    // Should this process die without `close` (kill -9, a worker killed at its timeout), the watchdog's stdin closes:
    // it stops the server and removes the directory.
    watchdog?.kill('SIGKILL');
    watchdog = spawn('/bin/sh', ['-c', WATCHDOG, 'postgres-watchdog', String(proc.pid), dir], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    watchdog.stdin!.on('error', () => undefined);
    (watchdog.stdin as unknown as { unref(): void }).unref();
    watchdog.unref();
    await new Promise<void>((resolve, reject) => {
      proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        log = (log + chunk).slice(-20_000);
        if (log.includes(READY)) resolve();
      });
      proc.once('exit', (code, signal) => reject(new Error(`postgres exited (${code ?? signal}) before it was ready: ${log.slice(-2000)}`)));
    });
  };

  const server: PostgresServer = {
    get port() {
      return port;
    },
    socketDir: dir,
    user,
    password,
    connection: (database = 'postgres') => ({ host: dir, port, user, password, database }),
    url: (database = 'postgres') => `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    async createDatabase() {
      const name = `t_${randomBytes(6).toString('hex')}`;
      const client = new pg.Client(server.connection());
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return name;
    },
    async stop() {
      watchdog?.kill('SIGKILL');
      if (alive()) child!.kill('SIGINT');
      await exited;
    },
    async kill() {
      watchdog?.kill('SIGKILL');
      const children = killServer();
      await exited;
      // A restart refuses to start while a backend of the old server still holds its shared memory.
      await waitFor(() => !children.some(running), { what: 'the killed backends to exit' });
    },
    async start() {
      if (alive()) throw new Error('postgres is already running');
      await launch();
    },
    async close() {
      watchdog?.kill('SIGKILL');
      if (alive()) {
        child!.kill('SIGINT');
        const timer = setTimeout(killServer, 10_000);
        await exited;
        clearTimeout(timer);
      }
      process.removeListener('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    const pwfile = join(dir, 'pwfile');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    own(pwfile);
    mkdirSync(data, { mode: 0o700 });
    own(data);
    runTool('initdb', ['-D', data, '-U', user, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'], env);
    rmSync(pwfile);
    // A port taken between freePort and the bind makes postgres exit: try another.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await launch();
        break;
      } catch (err) {
        if (attempt >= 3 || !log.includes('could not bind')) throw err;
      }
    }
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}
