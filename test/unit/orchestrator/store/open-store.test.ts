import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPostgresLocation, postgresPoolConfig } from '../../../../orchestrator/store/open-store.js';
import { SqliteStore } from '../../../../orchestrator/store/sqlite-store.js';
import { openStore, StoreLocationError } from '../../../../orchestrator/store/store.js';
import { freePort } from '../../../support/prometheus.js';
import { tempDir } from '../../../support/temp-dir.js';

const SECRET = 's3cr3t-pw';

function locationError(location: string): StoreLocationError {
  try {
    postgresPoolConfig(location);
  } catch (err) {
    expect(err).toBeInstanceOf(StoreLocationError);
    return err as StoreLocationError;
  }
  throw new Error(`${location} was accepted`);
}

describe('openStore: the location picks the engine', () => {
  it('takes postgres:// and postgresql:// URLs (any case) for PostgreSQL, anything else for a SQLite file', () => {
    expect(isPostgresLocation('postgres://u:p@db.example:5432/flowhost')).toBe(true);
    expect(isPostgresLocation('PostgreSQL://u@db/flowhost')).toBe(true);
    expect(isPostgresLocation('/var/lib/flowhost/flowhost.db')).toBe(false);
    expect(isPostgresLocation('postgres.db')).toBe(false);
    expect(isPostgresLocation(':memory:')).toBe(false);
  });

  it('opens a SQLite file for a path', async () => {
    const store = await openStore(join(tempDir(), 'flowhost.db'));
    expect(store).toBeInstanceOf(SqliteStore);
    await store.close();
  });

  it('passes a well-formed URL to pg as it is (port, user, password, sslmode …)', () => {
    const url = `postgresql://flowhost:${SECRET}@db.example:6432/flowhost?sslmode=require`;
    expect(postgresPoolConfig(url)).toEqual({ connectionString: url });
  });

  it('refuses a malformed URL, one without host or database, never repeating its password', async () => {
    for (const bad of [`postgres://flowhost:${SECRET}@db.example:99999/flowhost`, `postgres://flowhost:${SECRET}@`, `postgres://flowhost:${SECRET}@db.example`, `postgres://flowhost:${SECRET}@db.example/`]) {
      const err = locationError(bad);
      expect(err.message).not.toContain(SECRET);
      expect(err.message).toMatch(/PostgreSQL|postgres:\/\//);
      await expect(openStore(bad)).rejects.toBeInstanceOf(StoreLocationError);
    }
    expect(locationError(`postgres://flowhost:${SECRET}@db.example`).message).toContain('names no database');
  });

  it('rejects when no server answers, without the password in the error', async () => {
    const port = await freePort();
    const err = (await openStore(`postgres://flowhost:${SECRET}@127.0.0.1:${port}/flowhost`).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(`${err.message} ${err.stack ?? ''}`).not.toContain(SECRET);
  });
});
