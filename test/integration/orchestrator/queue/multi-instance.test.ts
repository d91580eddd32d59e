import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isTerminalStatus, SessionStatus } from '../../../../shared/option-sets.js';
import type { FakeAgent } from '../../../support/fake-agent.js';
import { startTestOrchestrator, type TestOrchestrator } from '../../../support/orchestrator-harness.js';
import { hasPostgres, POSTGRES, startPostgres, type PostgresServer } from '../../../support/postgres.js';
import { skipUnless } from '../../../support/requirements.js';
import { waitFor } from '../../../support/wait-for.js';

/**
 * Two orchestrators on one PostgreSQL database (docs/scale-out.md): each session is offered by one instance to one
 * machine, whichever instance's API queued it and wherever its machines are connected.
 */
describe.skipIf(skipUnless(hasPostgres, POSTGRES))('several orchestrator instances on one database', () => {
  let server: PostgresServer;
  let instances: TestOrchestrator[] = [];
  let stopped = false;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.close());
  afterEach(async () => {
    stopped = true;
    await Promise.all(instances.map((o) => o.close()));
    instances = [];
  });

  /** Accepts every assign and completes the run once confirmed, until `stopped`. */
  async function drive(agent: FakeAgent): Promise<void> {
    while (!stopped) {
      const assign = await agent.next('assign', 500).catch(() => undefined);
      if (!assign) continue;
      const id = assign.session.flowsessionid;
      agent.send({ type: 'accept', sessionId: id });
      const answer = await waitFor(() => agent.received.find((f) => (f.type === 'confirm' || f.type === 'revoke') && f.sessionId === id), { what: `answer to the accept of ${id}` });
      if (answer.type !== 'confirm') continue;
      const seq = agent.event({ sessionId: id, kind: 'completed', statuscode: SessionStatus.v.Succeeded, completedon: new Date().toISOString() });
      await agent.acked(seq, 10_000);
    }
  }

  it('offers and confirms every session exactly once, queued through both APIs with machines on both', async () => {
    const store = server.url(await server.createDatabase());
    const a = await startTestOrchestrator({ store });
    instances.push(a);
    await a.group('g1');
    const workflowId = String((await a.workflow())['workflowid']);
    const groupId = String((await a.store.groups.byName('g1'))!.flowmachinegroupid);
    const b = await startTestOrchestrator({ store });
    instances.push(b);

    // Machines 0 and 2 connected to A, 1 and 3 to B.
    const agents: FakeAgent[] = [];
    const machineIds: string[] = [];
    for (const o of [a, b, a, b]) {
      const { agent, machineId } = await o.machine('g1', { name: `m${agents.length}` });
      await agent.hello();
      agents.push(agent);
      machineIds.push(machineId);
    }
    stopped = false;
    const drivers = agents.map((agent) => drive(agent));

    const run = async (o: TestOrchestrator, target: Record<string, string>) => {
      const res = await o.api('POST', `workflows(${workflowId})/Microsoft.Dynamics.CRM.RunDesktopFlow`, { runMode: 'unattended', ...target });
      expect(res.status, res.text).toBe(200);
      return (res.json as { flowsessionId: string }).flowsessionId;
    };
    // Group sessions through both APIs, and sessions for a machine connected to the other instance only.
    const ids = await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => run(i % 2 === 0 ? a : b, { machineGroupId: groupId })),
      ...Array.from({ length: 8 }, (_, i) => run(a, { machineId: machineIds[i % 2 === 0 ? 1 : 3]! })),
      ...Array.from({ length: 8 }, (_, i) => run(b, { machineId: machineIds[i % 2 === 0 ? 0 : 2]! })),
    ]);

    await waitFor(
      async () => {
        const rows = await Promise.all(ids.map((id) => a.get(id)));
        return rows.every((r) => isTerminalStatus(Number(r['statuscode'])));
      },
      { timeoutMs: 30_000, what: 'every session ended' },
    );
    stopped = true;
    await Promise.all(drivers);

    const offers = new Map<string, number>();
    for (const agent of agents) for (const f of agent.received) if (f.type === 'assign') offers.set(f.session.flowsessionid, (offers.get(f.session.flowsessionid) ?? 0) + 1);
    const confirms = new Map<string, number>();
    for (const agent of agents) for (const f of agent.received) if (f.type === 'confirm') confirms.set(f.sessionId, (confirms.get(f.sessionId) ?? 0) + 1);
    expect(ids.filter((id) => offers.get(id) !== 1)).toEqual([]);
    expect(ids.filter((id) => confirms.get(id) !== 1)).toEqual([]);
    const statuses = await Promise.all(ids.map(async (id) => (await a.get(id))['statuscode']));
    expect(statuses.every((s) => s === SessionStatus.v.Succeeded)).toBe(true);
    // Machines of both instances took work.
    const worked = agents.map((agent) => agent.received.some((f) => f.type === 'confirm'));
    expect([worked[0] || worked[2], worked[1] || worked[3]]).toEqual([true, true]);
  }, 60_000);
});
