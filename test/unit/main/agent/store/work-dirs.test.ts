import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AgentStore } from '../../../../../main/agent/store/agent-store.js';
import { migrate } from '../../../../../main/agent/store/migrations.js';
import { tempDir } from '../../../../support/temp-dir.js';

describe('AgentStore: run-as work dirs', () => {
  it('keeps each recorded dir across a reopen until it is forgotten', () => {
    const file = join(tempDir(), 'agent.db');
    let store = AgentStore.open(file);
    store.recordWorkDir('s1', { path: '/tmp/flowhost-s1-a', uid: 65534, gid: 65534 });
    store.recordWorkDir('s2', { path: '/tmp/flowhost-s2-b', uid: 1000, gid: 100 });
    store.close();
    store = AgentStore.open(file);
    try {
      expect(store.workDirs()).toEqual([
        { sessionId: 's1', path: '/tmp/flowhost-s1-a', uid: 65534, gid: 65534 },
        { sessionId: 's2', path: '/tmp/flowhost-s2-b', uid: 1000, gid: 100 },
      ]);
      store.forgetWorkDir('s1');
      expect(store.workDirs().map((d) => d.sessionId)).toEqual(['s2']);
    } finally {
      store.close();
    }
  });

  it('an agent store of the previous schema gains the table when opened', () => {
    const file = join(tempDir(), 'agent.db');
    const db = new Database(file);
    migrate(db, 2);
    db.close();
    const store = AgentStore.open(file);
    try {
      expect(store.workDirs()).toEqual([]);
    } finally {
      store.close();
    }
  });
});
