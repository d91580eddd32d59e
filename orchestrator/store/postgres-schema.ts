import { entities, uniqueFields, type EntityDef, type FieldDef } from '../../shared/records/index.js';

/**
 * The PostgreSQL store's tables, generated from the same `EntityDef`s as the SQLite tables: one table per entity
 * set, a column per field. Case-insensitive lookups (SQLite's `COLLATE NOCASE`): GUIDs are `uuid`, which compares
 * by value whatever the case of its text (so plain indexes serve every GUID lookup, at 16 bytes a key); strings stay
 * `text` and the dialect compares them as `lower(col) = lower($1)`, with a `lower()` index where a lookup needs one
 * (the unique group name). Not `citext`: that is an extension the database must have and the role may not be allowed
 * to create, and it would fold every comparison of every string column, JSON bodies included.
 */

export const pgType = (f: FieldDef): string => {
  switch (f.edm) {
    case 'Edm.Guid':
      return 'uuid';
    case 'Edm.String':
      return 'text';
    case 'Edm.Int32':
      return 'integer';
    case 'Edm.Int64':
      return 'bigint';
    case 'Edm.Double':
      return 'double precision';
    case 'Edm.Boolean':
      return 'boolean';
    case 'Edm.DateTimeOffset':
      return 'timestamptz';
  }
};

/** A quoted identifier (names come from the EntityDefs, never from a request). */
export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * The indexes the queue and the API's common filters need: SQLite's list (sqlite-tables.ts) without its NOCASE
 * twins, which `uuid` makes unnecessary. The key as the last column serves the default order (by key) of a page.
 */
const INDEXES: Readonly<Record<string, readonly string[]>> = {
  flowsessions: [
    'statuscode, priority DESC, createdon',
    'statuscode, flowsessionid',
    '_machinegroupid_value, statuscode, flowsessionid',
    '_machineid_value, statuscode, flowsessionid',
    '_regardingobjectid_value, createdon',
    'createdon',
    '_parentsessionid_value, statuscode',
  ],
  flowlogs: ['_flowsessionid_value, seq'],
  flowmachines: ['_flowmachinegroupid_value'],
};

export const columnDdl = (name: string, f: FieldDef): string => `${ident(name)} ${pgType(f)}`;

/** CREATE TABLE and CREATE INDEX statements of one entity. */
export function entityDdl(entity: EntityDef): string[] {
  const cols = Object.entries(entity.fields).map(([name, f]) => `${columnDdl(name, f)}${name === entity.key ? ' PRIMARY KEY' : ''}`);
  return [
    `CREATE TABLE ${ident(entity.set)} (${cols.join(', ')})`,
    ...(INDEXES[entity.set] ?? []).map((cols, i) => `CREATE INDEX ${ident(`ix_${entity.set}_${i}`)} ON ${ident(entity.set)} (${cols})`),
    ...uniqueFields(entity).map((col) => `CREATE UNIQUE INDEX ${ident(`ux_${entity.set}_${col}`)} ON ${ident(entity.set)} (lower(${ident(col)}))`),
  ];
}

/**
 * The queue's state beside the records, as in the SQLite store's `meta` table (the same keys: applied event seq per
 * machine, assignment / target / pending cancel per session, the secret-inputs marker).
 */
export const META_DDL = 'CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL)';

/** The whole schema of an empty database: every entity's table and indexes, and `meta`. */
export function initialSchema(): string[] {
  return [...Object.values(entities).flatMap(entityDdl), META_DDL];
}

/**
 * Session pictures beside the entity tables (sqlite-screenshots.ts is the SQLite twin): one per session, gone with it
 * (ON DELETE CASCADE).
 */
export const SCREENSHOTS_DDL =
  'CREATE TABLE flowsession_screenshots (flowsessionid uuid PRIMARY KEY REFERENCES flowsessions (flowsessionid) ON DELETE CASCADE, takenon timestamptz NOT NULL, png bytea NOT NULL)';
