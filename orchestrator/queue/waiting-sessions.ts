import { DEFAULT_QUEUE_TIMEOUT_S, flowsessionEntity } from '../../shared/records/index.js';
import type { Row, Store } from '../store/store.js';
import type { SessionView } from './dispatch-plan.js';

/** A session that waits for a machine and has no offer: what the planner needs, its stored reason, its deadline. */
export interface WaitingSession {
  readonly view: SessionView;
  /** The queue reason as stored, so only changes are written. */
  reason: string | null;
  /** Queue timeout (ms since epoch). */
  readonly deadline: number;
}

const isWaiting = (row: Row): boolean => Number(row['statuscode']) === 3 && Number(row['statecode'] ?? 0) === 0;

/** Deadline of a waiting session in the queue (ms since epoch). */
export function queueDeadline(row: Row): number {
  const created = Date.parse(String(row['createdon']));
  const scheduled = row['scheduledfor'] ? Date.parse(String(row['scheduledfor'])) : created;
  return Math.max(created, scheduled) + Number(row['queuetimeout'] ?? DEFAULT_QUEUE_TIMEOUT_S) * 1000;
}

/**
 * The sessions that wait without an offer, in memory so a dispatch reads no session rows. Loaded from the store at
 * start (the store stays the source of truth); the queue updates it on every change it makes or is told about.
 */
export class WaitingSessions {
  private readonly byId = new Map<string, WaitingSession>();
  private arrivals = 0;

  get size(): number {
    return this.byId.size;
  }

  /** Every Waiting session of the store for which `offered` is false. */
  load(store: Store, offered: (sessionId: string) => boolean): void {
    this.byId.clear();
    for (const row of store.query(flowsessionEntity, { where: 'statuscode = 3 AND statecode = 0', orderBy: 'createdon' })) {
      if (!offered(String(row['flowsessionid']))) this.put(row);
    }
  }

  /** Files the session as its row says: waiting, or gone (not Waiting any more). */
  put(row: Row): WaitingSession | undefined {
    const id = String(row['flowsessionid']);
    if (!isWaiting(row)) {
      this.byId.delete(id);
      return undefined;
    }
    const arrival = this.byId.get(id)?.view.arrival ?? ++this.arrivals;
    const entry: WaitingSession = { view: { ...sessionView(row), arrival }, reason: (row['queuereason'] as string | null) ?? null, deadline: queueDeadline(row) };
    this.byId.set(id, entry);
    return entry;
  }

  get(sessionId: string): WaitingSession | undefined {
    return this.byId.get(sessionId);
  }

  delete(sessionId: string): WaitingSession | undefined {
    const entry = this.byId.get(sessionId);
    this.byId.delete(sessionId);
    return entry;
  }

  values(): IterableIterator<WaitingSession> {
    return this.byId.values();
  }
}

function sessionView(r: Row): SessionView {
  return {
    id: String(r['flowsessionid']),
    priority: Number(r['priority'] ?? 0),
    createdon: String(r['createdon']),
    scheduledfor: (r['scheduledfor'] as string | null) ?? null,
    groupId: (r['_machinegroupid_value'] as string | null) ?? null,
    targetMachineId: (r['_machineid_value'] as string | null) ?? null,
    runmode: Number(r['runmode'] ?? 2),
    sessionusername: (r['sessionusername'] as string | null) ?? null,
  };
}
