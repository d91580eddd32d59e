import { BackgroundOperationState, SessionState, SessionStatus } from '../../shared/option-sets.js';
import {
  backgroundoperationEntity,
  flowlogEntity,
  flowmachineEntity,
  flowmachinegroupEntity,
  flowsessionEntity,
  workflowEntity,
  type BackgroundOperation,
  type EntityDef,
  type FlowLog,
  type FlowMachine,
  type FlowMachineGroup,
  type FlowSession,
  type Workflow,
} from '../../shared/records/index.js';
import type { PgExecutor } from './postgres-executor.js';
import { isGuidText } from './postgres-filter.js';
import { assignmentKey } from './queue-state-keys.js';
import type { PgTables, Row } from './postgres-tables.js';
import type {
  EntityRepository,
  GroupRecord,
  GroupRepository,
  LogRecord,
  LogRepository,
  SessionLogRow,
  MachineRecord,
  MachineRepository,
  OperationRecord,
  OperationRepository,
  SessionRecord,
  SessionRepository,
  Values,
  WorkflowRecord,
  WorkflowRepository,
} from './repositories.js';
import { escapeLike } from './sqlite-filter.js';
import { MAY_HOLD_ASSIGNMENT, OPEN } from './session-conditions.js';

const S = SessionStatus.v;

/** One entity's table as typed records on PostgreSQL (the SQLite twin is sqlite-repositories.ts). */
class PgEntityRepository<R, S extends R> implements EntityRepository<R, S> {
  constructor(
    protected readonly db: PgExecutor,
    protected readonly t: PgTables,
    protected readonly entity: EntityDef,
  ) {}

  protected typed(row: Row): S {
    return row as unknown as S;
  }

  async get(id: string): Promise<S | undefined> {
    const row = await this.t.get(this.db, this.entity, id);
    return row && this.typed(row);
  }

  async insert(values: Values<R>): Promise<S> {
    return this.typed(await this.t.insert(this.db, this.entity, values as Row));
  }

  async update(id: string, changes: Values<R>, ifVersion?: number): Promise<S> {
    return this.typed(await this.t.update(this.db, this.entity, id, changes as Row, ifVersion));
  }

  patch(id: string, changes: Values<R>): Promise<boolean> {
    return this.t.patch(this.db, this.entity, id, changes as Row);
  }

  delete(id: string, ifVersion?: number): Promise<void> {
    return this.t.delete(this.db, this.entity, id, ifVersion);
  }

  all(): Promise<S[]> {
    return this.where();
  }

  protected async where(where?: string, params: readonly unknown[] = [], orderBy?: string): Promise<S[]> {
    return (await this.t.query(this.db, this.entity, { where, params, orderBy })).map((row) => this.typed(row));
  }

  /** Rows whose GUID column equals `id`: none when `id` is no GUID (SQLite finds none; PostgreSQL would raise 22P02). */
  protected async byGuid(column: string, id: string, more = '', params: readonly unknown[] = [], orderBy?: string): Promise<S[]> {
    return isGuidText(id) ? this.where(`${column} = ?::uuid${more}`, [id, ...params], orderBy) : [];
  }

  protected async countByGuid(column: string, id: string, more: string): Promise<number> {
    return isGuidText(id) ? this.t.count(this.db, this.entity, { where: `${column} = ?::uuid${more}`, params: [id] }) : 0;
  }
}

export class PgSessions extends PgEntityRepository<FlowSession, SessionRecord> implements SessionRepository {
  constructor(db: PgExecutor, t: PgTables) {
    super(db, t, flowsessionEntity);
  }

  /** The row locked first, skipped when another transaction holds it (see postgres-queue-state.ts `claimOffer`). */
  async setWaitingReason(sessionId: string, reason: string): Promise<boolean> {
    if (!isGuidText(sessionId)) return false;
    const locked = await this.db.query(
      "SELECT 1 FROM flowsessions WHERE flowsessionid = $1 AND statuscode = $2 AND NOT EXISTS (SELECT 1 FROM meta WHERE key = $3 AND value <> '') FOR UPDATE SKIP LOCKED",
      [sessionId, S.Waiting, assignmentKey(sessionId)],
    );
    return locked.rowCount === 1 && this.patch(sessionId, { queuereason: reason });
  }

  countOpenForMachine(machineId: string): Promise<number> {
    return this.countByGuid('_machineid_value', machineId, ` AND ${OPEN}`);
  }

  countOpenForWorkflow(workflowId: string): Promise<number> {
    return this.countByGuid('_regardingobjectid_value', workflowId, ` AND ${OPEN}`);
  }

  countOpenForGroup(groupId: string): Promise<number> {
    return this.countByGuid('_machinegroupid_value', groupId, ` AND ${OPEN}`);
  }

  waitingInQueueOrder(): Promise<SessionRecord[]> {
    return this.where('statuscode = ? AND statecode = ?', [S.Waiting, SessionState.v.Active], 'createdon');
  }

  openAssigned(): Promise<SessionRecord[]> {
    return this.where(`${MAY_HOLD_ASSIGNMENT} AND _machineid_value IS NOT NULL`);
  }

  withUnsplitInputs(workflowId: string): Promise<SessionRecord[]> {
    return this.byGuid('_regardingobjectid_value', workflowId, ' AND secretinputs IS NULL AND inputs IS NOT NULL');
  }
}

export class PgLogs implements LogRepository {
  constructor(
    private readonly db: PgExecutor,
    private readonly t: PgTables,
  ) {}

  insertMany(rows: readonly Values<FlowLog>[]): Promise<void> {
    return this.t.insertMany(this.db, flowlogEntity, rows as readonly Row[]);
  }

  async forSession(sessionId: string): Promise<LogRecord[]> {
    if (!isGuidText(sessionId)) return [];
    return (await this.t.query(this.db, flowlogEntity, { where: '_flowsessionid_value = ?::uuid', params: [sessionId], orderBy: 'seq' })) as unknown as LogRecord[];
  }

  async lastSeq(sessionId: string): Promise<number | undefined> {
    if (!isGuidText(sessionId)) return undefined;
    const { rows } = await this.db.query<{ seq: string }>('SELECT seq FROM flowlogs WHERE _flowsessionid_value = $1 ORDER BY seq DESC LIMIT 1', [sessionId]);
    return rows[0] && Number(rows[0].seq);
  }

  async deleteForSession(sessionId: string): Promise<void> {
    if (isGuidText(sessionId)) await this.db.query('DELETE FROM flowlogs WHERE _flowsessionid_value = $1', [sessionId]);
  }

  async appendToSession(sessionId: string, rows: readonly SessionLogRow[]): Promise<void> {
    if (rows.length === 0) return;
    const first = ((await this.lastSeq(sessionId)) ?? -1) + 1;
    await this.insertMany(rows.map((r, i) => ({ ...r, _flowsessionid_value: sessionId, seq: first + i })));
  }
}

export class PgMachines extends PgEntityRepository<FlowMachine, MachineRecord> implements MachineRepository {
  constructor(db: PgExecutor, t: PgTables) {
    super(db, t, flowmachineEntity);
  }

  connected(): Promise<MachineRecord[]> {
    return this.where('connected');
  }

  inGroup(groupId: string): Promise<MachineRecord[]> {
    return this.byGuid('_flowmachinegroupid_value', groupId);
  }
}

export class PgGroups extends PgEntityRepository<FlowMachineGroup, GroupRecord> implements GroupRepository {
  constructor(db: PgExecutor, t: PgTables) {
    super(db, t, flowmachinegroupEntity);
  }

  async byName(name: string): Promise<GroupRecord | undefined> {
    return (await this.where('lower(name) = lower(?::text)', [name]))[0];
  }
}

export class PgWorkflows extends PgEntityRepository<Workflow, WorkflowRecord> implements WorkflowRepository {
  constructor(db: PgExecutor, t: PgTables) {
    super(db, t, workflowEntity);
  }

  withSecretInputs(): Promise<WorkflowRecord[]> {
    return this.where(`inputschema ILIKE '%x-secret%'`);
  }
}

export class PgOperations extends PgEntityRepository<BackgroundOperation, OperationRecord> implements OperationRepository {
  constructor(db: PgExecutor, t: PgTables) {
    super(db, t, backgroundoperationEntity);
  }

  openWithPrefix(prefix: string): Promise<OperationRecord[]> {
    return this.where(`name ILIKE ? ESCAPE '\\' AND backgroundoperationstatecode <> ?`, [`${escapeLike(prefix)}%`, BackgroundOperationState.v.Completed]);
  }

  readyWithPrefix(prefix: string): Promise<OperationRecord[]> {
    return this.where(`backgroundoperationstatecode = ? AND name ILIKE ? ESCAPE '\\'`, [BackgroundOperationState.v.Ready, `${escapeLike(prefix)}%`]);
  }
}
