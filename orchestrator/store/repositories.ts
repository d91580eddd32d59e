import type { BackgroundOperation, EntityDef, FlowLog, FlowMachine, FlowMachineGroup, FlowSession, Workflow } from '../../shared/records/index.js';
import type { RecordQuery, StoredRecord } from './record-query.js';

/** The fields of a write: any subset of the record's fields (null clears one). */
export type Values<R> = { readonly [K in keyof R]?: R[K] };

type Managed = 'createdon' | 'modifiedon' | 'versionnumber';
/** A record as the store returns it: its key, times and version are always set. */
export type Stored<R extends Record<Managed, unknown>, K extends keyof R> = R & { readonly [P in K | Managed]: NonNullable<R[P]> };

export type SessionRecord = Stored<FlowSession, 'flowsessionid'>;
export type MachineRecord = Stored<FlowMachine, 'flowmachineid'>;
export type GroupRecord = Stored<FlowMachineGroup, 'flowmachinegroupid'>;
export type WorkflowRecord = Stored<Workflow, 'workflowid'>;
export type OperationRecord = Stored<BackgroundOperation, 'backgroundoperationid'>;
export type LogRecord = Stored<FlowLog, 'flowlogid'>;

/**
 * One entity's records by key. The store fills `createdon`, `modifiedon` and `versionnumber` (the ETag) itself and
 * enforces keys, versions and unique names; the values are validated by the callers against the record schemas.
 */
export interface EntityRepository<R, S extends R = R> {
  get(id: string): Promise<S | undefined>;
  /** A missing key is a new UUID. Conflict when the key (or a unique name) exists. */
  insert(values: Values<R>): Promise<S>;
  /** Applies `changes`, bumps `versionnumber` and `modifiedon`. NotFound; with `ifVersion`, PreconditionFailed on mismatch. */
  update(id: string, changes: Values<R>, ifVersion?: number): Promise<S>;
  /** Applies `changes` like `update` without reading the record back: the hot path. False when it does not exist. */
  patch(id: string, changes: Values<R>): Promise<boolean>;
  /** NotFound; with `ifVersion`, PreconditionFailed on mismatch. */
  delete(id: string, ifVersion?: number): Promise<void>;
}

export interface SessionRepository extends EntityRepository<FlowSession, SessionRecord> {
  /** Sessions not in a terminal status (shared/option-sets.ts) that target the machine / run the workflow / target the group. */
  countOpenForMachine(machineId: string): Promise<number>;
  countOpenForWorkflow(workflowId: string): Promise<number>;
  countOpenForGroup(groupId: string): Promise<number>;
  /**
   * Sets the queue reason of a session that is Waiting without an assignment, unless another transaction holds its
   * row right now (skipped, not waited for: a reason is advice the next dispatch pass writes again). False when nothing
   * was written.
   */
  setWaitingReason(sessionId: string, reason: string): Promise<boolean>;
  /** Waiting, active sessions, oldest first. */
  waitingInQueueOrder(): Promise<SessionRecord[]>;
  /** Sessions that may hold an assignment (waiting, running or paused) and name a machine. */
  openAssigned(): Promise<SessionRecord[]>;
  /** Sessions of the workflow whose inputs are stored but were never split into masked and clear (older databases). */
  withUnsplitInputs(workflowId: string): Promise<SessionRecord[]>;
}

/** A flowlog row to append to a session: its session and `seq` are the repository's to set. */
export type SessionLogRow = Omit<Values<FlowLog>, '_flowsessionid_value' | 'seq'>;

export interface LogRepository {
  /**
   * Appends rows atomically without reading them back: the bulk path (a replayed backlog's log lines). A missing key
   * is a time-ordered UUID (v7), so consecutive rows append to the key's index.
   */
  insertMany(rows: readonly Values<FlowLog>[]): Promise<void>;
  /** A session's rows in `seq` order. */
  forSession(sessionId: string): Promise<LogRecord[]>;
  /** The highest `seq` of a session's rows, undefined when it has none. */
  lastSeq(sessionId: string): Promise<number | undefined>;
  /**
   * Appends rows of one session numbered after its last row (`seq` consecutive from the last + 1), in one call: the
   * lookup and the bulk insert together. Inside a transaction when others may append to the session meanwhile.
   */
  appendToSession(sessionId: string, rows: readonly SessionLogRow[]): Promise<void>;
  /** Removes every row of a session. */
  deleteForSession(sessionId: string): Promise<void>;
}

/** The picture of a session's display, taken by its agent when the run failed, timed out or was cancelled. */
export interface ScreenshotRecord {
  readonly flowsessionid: string;
  readonly takenon: string;
  readonly png: Buffer;
}

export interface ScreenshotRepository {
  /** Keeps a session's picture (one per session: a later one replaces it). It goes when its session is deleted. */
  put(shot: ScreenshotRecord): Promise<void>;
  /** The picture of the session whose key is exactly `flowsessionid` (as stored), undefined when it has none. */
  forSession(flowsessionid: string): Promise<ScreenshotRecord | undefined>;
}

export interface MachineRepository extends EntityRepository<FlowMachine, MachineRecord> {
  all(): Promise<MachineRecord[]>;
  connected(): Promise<MachineRecord[]>;
  inGroup(groupId: string): Promise<MachineRecord[]>;
}

export interface GroupRepository extends EntityRepository<FlowMachineGroup, GroupRecord> {
  all(): Promise<GroupRecord[]>;
  /** The group of this name, compared case-insensitively (names are unique that way). */
  byName(name: string): Promise<GroupRecord | undefined>;
}

export interface WorkflowRepository extends EntityRepository<Workflow, WorkflowRecord> {
  /** Workflows whose input schema marks an input secret (`x-secret`). */
  withSecretInputs(): Promise<WorkflowRecord[]>;
}

export interface OperationRepository extends EntityRepository<BackgroundOperation, OperationRecord> {
  /** Operations whose name starts with `prefix` that have not completed. */
  openWithPrefix(prefix: string): Promise<OperationRecord[]>;
  /** Operations whose name starts with `prefix` that are ready to run (not started). */
  readyWithPrefix(prefix: string): Promise<OperationRecord[]>;
}

/** Where a session stands between the queue and a machine (orchestrator/queue/assignment-book.ts). */
export interface Assignment {
  readonly machineId: string;
  /** `offered`: assign sent, no accept yet (revocable). `confirmed`: the machine owns it for good. */
  readonly state: 'offered' | 'confirmed';
  /** ISO time of the offer or of the confirmation. */
  readonly at: string;
}

export type PendingCancel = 'cancelled' | 'timeout';

/** The ids WhoAmI answers: made once per database, then the same for its life (a backup restored keeps them). */
export interface ServiceIdentity {
  readonly organizationId: string;
  readonly businessUnitId: string;
  readonly userId: string;
}

/** The queue's and gateway's own durable state, beside the records (it joins the same transactions). */
export interface QueueState {
  /** The highest event seq of the machine applied so far (0 before any). */
  appliedSeq(machineId: string): Promise<number>;
  setAppliedSeq(machineId: string, seq: number): Promise<void>;
  assignment(sessionId: string): Promise<Assignment | undefined>;
  /** Records an assignment, or forgets it (undefined). */
  setAssignment(sessionId: string, assignment: Assignment | undefined): Promise<void>;
  /**
   * Records `offer` for a session that is Waiting and holds no assignment, and keeps the session claimed until the
   * transaction ends: of several instances offering one session at once, exactly one gets true. False, with nothing
   * written, when the session is gone, no longer Waiting, assigned, or being claimed or changed by another transaction
   * right now (its row is locked: skipped, not waited for). Inside a transaction (`tx`).
   */
  claimOffer(sessionId: string, offer: Assignment): Promise<boolean>;
  /** The machine the session targeted before it was assigned: null for none, undefined when never recorded. */
  target(sessionId: string): Promise<string | null | undefined>;
  setTarget(sessionId: string, machineId: string | null): Promise<void>;
  /** Why the session's machine was asked to cancel it, or null. */
  pendingCancel(sessionId: string): Promise<PendingCancel | null>;
  setPendingCancel(sessionId: string, reason: PendingCancel | null): Promise<void>;
  /** When the stored sessions' secret inputs were masked once (undefined: not yet). */
  secretInputsMaskedAt(): Promise<string | undefined>;
  setSecretInputsMasked(at: string): Promise<void>;
  /** The Web API's WhoAmI ids (undefined before the first start made them). */
  serviceIdentity(): Promise<ServiceIdentity | undefined>;
  setServiceIdentity(identity: ServiceIdentity): Promise<void>;
}

/** The Web API's generic record path: any entity set by its EntityDef, queried by a parsed OData query. */
export interface RecordRepository {
  get(entity: EntityDef, id: string): Promise<StoredRecord | undefined>;
  /** Matches of the filter in order (then by key), `skip` then `top` applied. */
  list(entity: EntityDef, query?: RecordQuery): Promise<StoredRecord[]>;
  count(entity: EntityDef, filter?: RecordQuery['filter']): Promise<number>;
  insert(entity: EntityDef, values: StoredRecord): Promise<StoredRecord>;
  update(entity: EntityDef, id: string, changes: StoredRecord, ifVersion?: number): Promise<StoredRecord>;
  delete(entity: EntityDef, id: string, ifVersion?: number): Promise<void>;
}

/** What changed, for the other orchestrator instances on the same database: a session's or a machine's record. */
export type ChangeKind = 'session' | 'machine';

/** Tells the other orchestrator instances on the same database that a record changed (`Store.notifications`). */
export interface ChangePublisher {
  /** Inside a transaction, sent when it commits (never when it rolls back); outside one, at once. */
  publish(kind: ChangeKind, id: string): Promise<void>;
}

/** Every repository of one store; inside a transaction, the transaction's own. */
export interface Repositories {
  readonly notifications: ChangePublisher;
  readonly sessions: SessionRepository;
  readonly logs: LogRepository;
  readonly screenshots: ScreenshotRepository;
  readonly machines: MachineRepository;
  readonly groups: GroupRepository;
  readonly workflows: WorkflowRepository;
  readonly operations: OperationRepository;
  readonly queueState: QueueState;
  readonly records: RecordRepository;
}
