import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AgentStore } from '../../../../../main/agent/store/agent-store.js';
import { makeAssign } from '../../../../support/agent-assign.js';
import { tempDir } from '../../../../support/temp-dir.js';

/** Secret inputs in the agent's store: kept while a session may still need them, gone from file and WAL once reported. */
const SECRET = 'agent-store-secret-Xq7Lp2';
const NESTED = 'agent-store-nested-Mw4Zr9';
const inputs = { pw: SECRET, creds: { key: NESTED, user: 'alice' } };

function completedSession(store: AgentStore): string {
  const a = makeAssign({ inputs, secretInputs: ['pw', '/creds/key'] });
  const id = a.session.flowsessionid;
  store.recordAssignment(a);
  store.markConfirmed(id);
  store.markRunning(id, { startedon: new Date().toISOString() });
  store.complete(id, { statuscode: 4, completedon: new Date().toISOString(), outputs: JSON.stringify({ echoed: SECRET }) });
  return id;
}

const fileBytes = (file: string): string => ['', '-wal'].map((s) => (existsSync(file + s) ? readFileSync(file + s).toString('latin1') : '')).join('\n');

describe('AgentStore: secret inputs at rest', () => {
  it("keeps a session's token until its completed event is acked, then neither the assign nor the file holds it", () => {
    const file = join(tempDir('agent-secrets-'), 'agent.db');
    const store = AgentStore.open(file);
    try {
      const token = `fhs1.0f8fad5b-d9cb-469f-a165-70867728950e.${'T0k3n'.repeat(9)}`;
      const a = makeAssign({ session: { sessiontoken: token } });
      const id = a.session.flowsessionid;
      store.recordAssignment(a);
      store.markConfirmed(id);
      store.markRunning(id, { startedon: new Date().toISOString() });
      store.complete(id, { statuscode: 4, completedon: new Date().toISOString() });
      expect(store.getSession(id)!.session.sessiontoken).toBe(token);
      store.ackUpTo(store.lastSeq());
      expect(store.getSession(id)!.session.sessiontoken).toBeUndefined();
      expect(fileBytes(file)).not.toContain(token);
    } finally {
      store.close();
    }
  });

  it('keeps them until the completed event is acked, then the assign, file and WAL hold them no more', () => {
    const file = join(tempDir('agent-secrets-'), 'agent.db');
    const store = AgentStore.open(file);
    try {
      const id = completedSession(store);
      expect(store.getSession(id)!.inputs).toContain(SECRET); // not reported yet: a replay may still need it
      store.ackUpTo(store.lastSeq());
      const s = store.getSession(id)!;
      expect(JSON.parse(s.inputs)).toEqual({ pw: '***', creds: { key: '***', user: 'alice' } });
      expect(s.secretInputs).toEqual([]);
      const bytes = fileBytes(file);
      expect(bytes).toContain('alice');
      expect(bytes).not.toContain(SECRET);
      expect(bytes).not.toContain(NESTED);
    } finally {
      store.close();
    }
  });

  it('an assign kept by an older agent loses its secrets at the next open when reported, not before', () => {
    const file = join(tempDir('agent-secrets-'), 'agent.db');
    let store = AgentStore.open(file);
    const reported = completedSession(store);
    store.ackUpTo(store.lastSeq());
    const pending = completedSession(store);
    store.close();
    // What an older agent left: the reported session's assign in clear, and no record of a sweep.
    const db = new Database(file);
    db.prepare('UPDATE sessions SET assign = ? WHERE id = ?').run(JSON.stringify(makeAssign({ inputs, secretInputs: ['pw', '/creds/key'], session: { flowsessionid: reported } })), reported);
    db.prepare(`DELETE FROM meta WHERE key = 'secrets_swept'`).run();
    db.close();

    store = AgentStore.open(file);
    try {
      expect(store.getSession(reported)!.inputs).not.toContain(SECRET);
      expect(store.getSession(pending)!.inputs).toContain(SECRET);
      store.ackUpTo(store.lastSeq());
      expect(fileBytes(file)).not.toContain(SECRET);
    } finally {
      store.close();
    }
  });
});
