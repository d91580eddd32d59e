import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeAfterTest } from '../support/dispose-after-test.js';
import { pathOnlyEnv, runFlowhost, startFlowhost, type FlowhostProcess } from '../support/flowhost-cli.js';
import { callApi } from '../support/orchestrator-harness.js';
import { hasPostgres, POSTGRES, startPostgres, type PostgresServer } from '../support/postgres.js';
import { skipUnless } from '../support/requirements.js';
import { tempDir } from '../support/temp-dir.js';

const TOKEN = 'store-test-admin-token-0123456789';

/** `flowhost orchestrator` on a PostgreSQL store, as an operator starts it: the URL by flag or env, the password apart. */
describe.skipIf(skipUnless(hasPostgres, POSTGRES))('flowhost orchestrator --store', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.close());

  const tokenFile = (dir: string): string => {
    const file = join(dir, 'admin-token');
    writeFileSync(file, TOKEN, { mode: 0o600 });
    return file;
  };
  const start = async (args: string[], env: Record<string, string>): Promise<{ orch: FlowhostProcess; url: string; out: string }> => {
    const orch = startFlowhost(['orchestrator', '--port', '0', ...args], { env: { ...pathOnlyEnv(), ...env } });
    disposeAfterTest({ close: () => orch.stop() });
    const out = await orch.waitForOutput(/^store: .+$/m);
    return { orch, url: /Web API (http:\S+)\/api/.exec(out)![1]!, out };
  };

  it('keeps the records in the database named by --store or FLOWHOST_STORE, never in the data dir, and never prints the password', async () => {
    const dir = tempDir();
    const database = await server.createDatabase();
    const bare = `postgres://${server.user}@127.0.0.1:${server.port}/${database}`;

    const first = await start(['--data-dir', join(dir, 'a'), '--admin-token-file', tokenFile(dir), '--store', bare], { PGPASSWORD: server.password });
    expect(first.out).toContain(`store: PostgreSQL database ${database} at 127.0.0.1:${server.port}`);
    expect((await callApi(first.url, TOKEN, 'POST', 'flowmachinegroups', { name: 'kept', password: 'group-password-1' })).status).toBe(204);
    await first.orch.stop();
    expect(existsSync(join(dir, 'a', 'orchestrator.db'))).toBe(false);

    // Another data dir, the URL with its password from the environment: the same records.
    const second = await start(['--data-dir', join(dir, 'b'), '--admin-token-file', tokenFile(dir)], { FLOWHOST_STORE: server.url(database) });
    const groups = await callApi(second.url, TOKEN, 'GET', 'flowmachinegroups?$select=name', undefined);
    expect((groups.json as { value: { name: string }[] }).value.map((g) => g.name)).toEqual(['kept']);
    expect(second.out).not.toContain(server.password);
  });

  it('warns of a password given in argv, and refuses a malformed URL without repeating it', async () => {
    const dir = tempDir();
    const withPassword = await start(['--data-dir', join(dir, 'a'), '--admin-token-file', tokenFile(dir), '--store', server.url(await server.createDatabase())], {});
    expect(withPassword.out).toContain('--store carries a password: other users see it in the process list');
    expect(withPassword.out).not.toContain(server.password);

    const refused = await runFlowhost(['orchestrator', '--port', '0', '--data-dir', join(dir, 'b'), '--admin-token-file', tokenFile(dir), '--store', 'postgres://u:hunter2-secret@127.0.0.1:5432'], {
      env: pathOnlyEnv(),
      timeoutMs: 60_000,
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/orchestrator did not start: the PostgreSQL store URL at 127.0.0.1 names no database/);
    expect(refused.stdout + refused.stderr).not.toContain('hunter2-secret');
  });
});
