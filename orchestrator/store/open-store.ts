import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store-types.js';

/** A store location that cannot be opened as given. Its message never repeats the location: a URL may hold a password. */
export class StoreLocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreLocationError';
  }
}

const POSTGRES_SCHEMES = ['postgres:', 'postgresql:'];

/** Whether `location` names a PostgreSQL database (a `postgres://` or `postgresql://` URL) rather than a SQLite file. */
export const isPostgresLocation = (location: string): boolean => /^postgres(ql)?:\/\//i.test(location.trim());

/**
 * The pool settings of a PostgreSQL URL, checked: a host and a database are required. pg reads the rest of the URL
 * (port, user, password, `?sslmode=` …) itself.
 */
export function postgresPoolConfig(location: string): { connectionString: string } {
  let url: URL;
  try {
    url = new URL(location.trim());
  } catch {
    throw new StoreLocationError('the store location starts with postgres:// but is no valid URL (postgres://user:password@host:port/database)');
  }
  if (!POSTGRES_SCHEMES.includes(url.protocol)) throw new StoreLocationError('a PostgreSQL store location starts with postgres:// or postgresql://');
  if (!url.hostname) throw new StoreLocationError('the PostgreSQL store URL names no host (postgres://user:password@host:port/database)');
  if (url.pathname.length <= 1) throw new StoreLocationError(`the PostgreSQL store URL at ${url.hostname} names no database (…/database)`);
  return { connectionString: location.trim() };
}

/**
 * Opens the store at `location`: a `postgres://` or `postgresql://` URL opens the PostgreSQL store (its schema
 * migrated before this resolves), anything else is the path of the SQLite file (or `:memory:`).
 */
export async function openStore(location: string, o: { readonly now?: () => Date } = {}): Promise<Store> {
  if (isPostgresLocation(location)) return PostgresStore.open({ pool: postgresPoolConfig(location), ...o });
  return new SqliteStore({ file: location, ...o });
}

/** True when a PostgreSQL `location` carries its password in the URL. */
export function storePasswordGiven(location: string): boolean {
  if (!isPostgresLocation(location)) return false;
  try {
    return new URL(location.trim()).password !== '';
  } catch {
    return false;
  }
}

/** What a log line or the CLI may say of `location`: the engine and where, never a user or password. */
export function storeName(location: string): string {
  if (!isPostgresLocation(location)) return `SQLite file ${location}`;
  try {
    const url = new URL(location.trim());
    return `PostgreSQL database ${url.pathname.slice(1)} at ${url.host}`;
  } catch {
    return 'PostgreSQL (the URL is not valid)';
  }
}
