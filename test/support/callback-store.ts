import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { AgentStore } from '../../main/agent/store/agent-store.js';

/** A real agent store holding one completed session whose callback row waits in the outbox (ttl: the default unless given). */
export function storeWithCallback(file: string, url: string, opts: { now: () => Date; ttlS?: number }): { store: AgentStore; sessionId: string } {
  const store = AgentStore.open(file, { now: opts.now });
  const sessionId = randomUUID();
  const at = opts.now().toISOString();
  store.recordAssignment({
    type: 'assign',
    session: { flowsessionid: sessionId, name: 'callback', workflowid: randomUUID(), runmode: 2, priority: 0, timeout: 60, callbackurl: url, createdon: at },
    flow: { schemaversion: 1, kind: 'command', argv: ['true'] },
    inputs: '{}',
    secretInputs: [],
  });
  store.markConfirmed(sessionId);
  store.markRunning(sessionId, { startedon: at });
  store.complete(sessionId, { statuscode: 4, completedon: at, ...(opts.ttlS === undefined ? {} : { callbackTtlS: opts.ttlS }) });
  return { store, sessionId };
}

export interface CallbackRowState {
  readonly retrycount: number;
  readonly statecode: number;
  /** backgroundoperation statuscode: 0 waiting, 30 Succeeded, 31 Failed. */
  readonly statuscode: number;
  readonly errormessage: string | null;
  readonly httpstatus: number | null;
  readonly nextattempton: string;
}

/** The callback rows of agent.db as they are on disk (read-only connection). */
export function callbackRows(file: string): CallbackRowState[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT retrycount, statecode, statuscode, errormessage, httpstatus, nextattempton FROM callbacks ORDER BY createdon').all() as CallbackRowState[];
  } finally {
    db.close();
  }
}
