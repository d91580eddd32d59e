import type { EntityDef } from '../../shared/records/index.js';
import type { PgExecutor } from './postgres-executor.js';
import { filterToPg, isGuidText, orderToPg } from './postgres-filter.js';
import type { PgTables } from './postgres-tables.js';
import type { RecordQuery, StoredRecord } from './record-query.js';
import type { RecordRepository, ScreenshotRecord, ScreenshotRepository } from './repositories.js';

/** The Web API's generic record path on PostgreSQL: queries compiled by the PostgreSQL dialect (postgres-filter.ts). */
export class PgRecords implements RecordRepository {
  constructor(
    private readonly db: PgExecutor,
    private readonly t: PgTables,
  ) {}

  get(entity: EntityDef, id: string): Promise<StoredRecord | undefined> {
    return this.t.get(this.db, entity, id);
  }

  list(entity: EntityDef, query: RecordQuery = {}): Promise<StoredRecord[]> {
    const where = query.filter && filterToPg(entity, query.filter);
    return this.t.query(this.db, entity, {
      where: where?.sql,
      params: where?.params,
      orderBy: query.orderBy && query.orderBy.length > 0 ? orderToPg(entity, query.orderBy) : undefined,
      limit: query.top,
      offset: query.skip,
    });
  }

  count(entity: EntityDef, filter?: RecordQuery['filter']): Promise<number> {
    const where = filter && filterToPg(entity, filter);
    return this.t.count(this.db, entity, { where: where?.sql, params: where?.params });
  }

  insert(entity: EntityDef, values: StoredRecord): Promise<StoredRecord> {
    return this.t.insert(this.db, entity, values);
  }

  update(entity: EntityDef, id: string, changes: StoredRecord, ifVersion?: number): Promise<StoredRecord> {
    return this.t.update(this.db, entity, id, changes, ifVersion);
  }

  delete(entity: EntityDef, id: string, ifVersion?: number): Promise<void> {
    return this.t.delete(this.db, entity, id, ifVersion);
  }
}

/** Session pictures in `flowsession_screenshots` (bytea), gone with their session (ON DELETE CASCADE). */
export class PgScreenshots implements ScreenshotRepository {
  constructor(private readonly db: PgExecutor) {}

  async put(shot: ScreenshotRecord): Promise<void> {
    await this.db.query(
      'INSERT INTO flowsession_screenshots (flowsessionid, takenon, png) VALUES ($1, $2, $3) ON CONFLICT (flowsessionid) DO UPDATE SET takenon = excluded.takenon, png = excluded.png',
      [shot.flowsessionid, shot.takenon, shot.png],
    );
  }

  async forSession(flowsessionid: string): Promise<ScreenshotRecord | undefined> {
    if (!isGuidText(flowsessionid)) return undefined;
    const { rows } = await this.db.query<{ takenon: Date; png: Buffer }>('SELECT takenon, png FROM flowsession_screenshots WHERE flowsessionid = $1', [flowsessionid]);
    const row = rows[0];
    return row ? { flowsessionid, takenon: row.takenon.toISOString(), png: row.png } : undefined;
  }
}
