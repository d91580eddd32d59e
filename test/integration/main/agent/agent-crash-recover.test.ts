import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import winston from 'winston';
import { afterEach, expect, it } from 'vitest';
import { SessionHost } from '../../../../main/agent/runner/session-host.js';
import { AgentStore } from '../../../../main/agent/store/agent-store.js';
import { waitFor } from '../../../support/wait-for.js';
import { fixture, processGone } from './host-harness.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('after the agent dies with SIGKILL mid-run, recover() kills the orphaned flow group and reports Aborted (AgentRestarted)', async () => {
  dir = mkdtempSync(join(tmpdir(), 'agent-recover-'));
  const agent = spawn(process.execPath, ['--import', 'tsx', fixture('host-runner.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let line = '';
  for await (const text of createInterface({ input: agent.stdout })) {
    line = text;
    break;
  }
  const [, id, child, grandchild] = line.split(' ');
  agent.kill('SIGKILL');
  await new Promise((resolve) => agent.once('exit', resolve));
  // The flow was detached into its own group, so it outlives the agent.
  expect(processGone(Number(child))).toBe(false);

  const store = AgentStore.open(join(dir, 'agent.db'));
  try {
    expect(store.getSession(id as string)?.stage).toBe('running');
    const host = new SessionHost({ store, dataDir: dir, logger: winston.createLogger({ silent: true }) });
    host.recover();
    expect(store.getSession(id as string)).toMatchObject({ stage: 'completed', statuscode: 11, errorcode: 'AgentRestarted' });
    await waitFor(() => processGone(Number(child)) && processGone(Number(grandchild)), { timeoutMs: 3000, what: 'the orphaned flow to be killed' });
    const kinds = store.eventsAfter(0, 100).map((e) => e.kind);
    expect(kinds[0]).toBe('started');
    expect(kinds.at(-1)).toBe('completed');
  } finally {
    store.close();
  }
});
