import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../../main/agent/agent.js';
import { agentOptionsFromConfig } from '../../../../main/agent/agent-from-config.js';
import { loadAgentConfig } from '../../../../main/agent/config/load.js';
import type { Credentials } from '../../../../main/agent/registration/credentials.js';
import { StatusSnapshot } from '../../../../shared/status.js';
import { validator } from '../../../../shared/validate.js';
import { toStatusSnapshot } from '../../../../main/agent/status/status.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('agent options from config', () => {
  it("carry the machine's name (config) and the group's name (credentials) into the status snapshot, ids beside them", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'flowhost-agent-config-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const config = loadAgentConfig({ flags: {}, env: {}, defaults: { name: 'Front desk PC', dataDir }, cwd: '/' });
    const credentials: Credentials = {
      flowmachineid: '11111111-1111-4111-8111-111111111111',
      flowmachinegroupid: '22222222-2222-4222-8222-222222222222',
      credential: 'c'.repeat(40),
      callbackSecret: 's'.repeat(32),
      // Nothing listens there: the agent keeps retrying, which this test does not need.
      orchestrator: 'http://127.0.0.1:1',
      group: 'Accounts',
    };
    const agent = new Agent(agentOptionsFromConfig(config, credentials, winston.createLogger({ silent: true })));
    agent.start();
    cleanups.push(() => agent.stop());

    const machine = { flowmachineid: credentials.flowmachineid, name: 'Front desk PC', flowmachinegroupid: credentials.flowmachinegroupid, groupname: 'Accounts' };
    expect(agent.state().machine).toEqual(machine);
    const snapshot = validator(StatusSnapshot).parse(toStatusSnapshot(agent.state(), { at: new Date().toISOString(), recent: [], samplesOf: () => [] }));
    expect(snapshot.machine).toEqual(machine);
  });
});
