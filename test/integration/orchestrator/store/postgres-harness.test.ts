import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { disposeAfterTest } from '../../../support/dispose-after-test.js';
import { hasPostgres, POSTGRES, running, startPostgres } from '../../../support/postgres.js';
import { isRoot, skipUnless } from '../../../support/requirements.js';
import { waitFor } from '../../../support/wait-for.js';

describe.skipIf(skipUnless(hasPostgres, POSTGRES))('private PostgreSQL harness', () => {
  it('runs unprivileged, asks for a password, and keeps committed data across kill -9 and a restart', async () => {
    const server = disposeAfterTest(await startPostgres());
    if (isRoot) expect(statSync(server.socketDir).uid).not.toBe(0);
    await expect(async () => {
      const c = new pg.Client({ ...server.connection(), password: 'wrong' });
      try {
        await c.connect();
      } finally {
        await c.end().catch(() => undefined);
      }
    }).rejects.toMatchObject({ code: '28P01' });

    const database = await server.createDatabase();
    const before = new pg.Client(server.connection(database));
    await before.connect();
    await before.query('CREATE TABLE t (v text)');
    await before.query("INSERT INTO t VALUES ('committed')");
    const backend = (await before.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const lost = new Promise<Error>((resolve) => before.on('error', resolve));

    await server.kill();
    expect(running(backend)).toBe(false);
    await expect(lost).resolves.toBeInstanceOf(Error);
    await before.end().catch(() => undefined);

    await server.start();
    const after = new pg.Client(server.connection(database));
    await after.connect();
    expect((await after.query('SELECT v FROM t')).rows).toEqual([{ v: 'committed' }]);
    await after.end();

    await server.stop();
    await server.start();
    const url = new pg.Client({ connectionString: server.url(database) });
    await url.connect();
    expect((await url.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 1 }]);
    await url.end();

    const dir = server.socketDir;
    await server.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('stops the server and removes its directory when the test process is killed -9 without closing it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../../fixtures/postgres-child.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(child, 'exit');
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const { dir, port } = JSON.parse(line) as { dir: string; port: number };
    expect(existsSync(dir)).toBe(true);

    child.kill('SIGKILL');
    await exited;
    await waitFor(() => !existsSync(dir), { what: `the watchdog to stop postgres and remove ${dir}`, timeoutMs: 20_000 });
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'flowhost', password: 'x', database: 'postgres' });
    await expect(client.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
