import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestOrchestrator } from '../support/orchestrator-harness.js';
import { apiOk, createFixtureWorkflow, createGroup, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd, type ApiAgent, type Row } from '../support/api-harness.js';

/**
 * Two real agents whose wall clocks are 7 minutes ahead of and behind the orchestrator's (the Agent's injected
 * `now`: every timestamp it writes — startedon, completedon, log line and sample times — is skewed; its run time is
 * measured on the monotonic clock). The orchestrator maps their timestamps onto its own clock with the offset taken
 * from `hello.agentTime`, so durations and the order of sessions are those of the real world.
 */
const SKEW_MS = 7 * 60_000;
/** Loopback delay of the hello (the offset's error) plus timer slack. */
const TOLERANCE_MS = 1000;

const ms = (v: unknown) => Date.parse(String(v));

describe('reliability: clock skew between agents and the orchestrator', () => {
  let orch: TestOrchestrator;
  let ahead: ApiAgent;
  let behind: ApiAgent;
  let workflowId: string;
  const groups = new Map<string, string>();

  beforeAll(async () => {
    orch = await startApiOrchestrator();
    for (const g of ['ahead', 'behind']) groups.set(g, await createGroup(orch, g));
    workflowId = await createFixtureWorkflow(orch, 'lines.mjs');
    ahead = await startApiAgent(orch, { group: 'ahead', name: 'ahead', now: () => new Date(Date.now() + SKEW_MS) });
    behind = await startApiAgent(orch, { group: 'behind', name: 'behind', now: () => new Date(Date.now() - SKEW_MS) });
  });

  afterAll(async () => {
    await ahead?.dispose();
    await behind?.dispose();
    await orch?.close();
  });

  /** Queues one session in `group`, waits for its end; returns the row and the real window it ran in. */
  async function runOne(group: string) {
    const groupId = groups.get(group)!;
    const before = Date.now();
    const id = await runFlow(orch, workflowId, { machineGroupId: groupId, inputs: { lines: 20, everyMs: 20 } });
    const row = await waitForSessionEnd(orch, id, 20_000);
    return { id, before, after: Date.now(), row };
  }

  it('agents 7 min ahead and 7 min behind: startedon/completedon/log times on the orchestrator clock, durations right, order right', async () => {
    const runs = [await runOne('ahead'), await runOne('behind'), await runOne('ahead')];
    for (const { id, before, after, row } of runs) {
      const created = ms(row['createdon']);
      const started = ms(row['startedon']);
      const completed = ms(row['completedon']);
      const wait = Number(row['runwaitduration']);
      const exec = Number(row['runexecutionduration']);
      const total = Number(row['runduration']);
      expect(Number(row['statuscode']), `session ${id}`).toBe(4);
      // Every timestamp inside the real window the session lived in (orchestrator clock = real clock here).
      expect(created).toBeGreaterThanOrEqual(before - TOLERANCE_MS);
      expect(started).toBeGreaterThanOrEqual(created - TOLERANCE_MS);
      expect(started).toBeLessThanOrEqual(after + TOLERANCE_MS);
      expect(completed).toBeGreaterThanOrEqual(started);
      expect(completed).toBeLessThanOrEqual(after + TOLERANCE_MS);
      // wait = mapped startedon − createdon; total = wait + execution; both bounded by the real lifetime.
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(Math.abs(wait - (started - created))).toBeLessThanOrEqual(1);
      expect(total).toBe(wait + exec);
      expect(exec).toBeGreaterThanOrEqual(20 * 20 - 50);
      expect(total).toBeLessThanOrEqual(after - before + TOLERANCE_MS);
      expect(Math.abs(completed - created - total)).toBeLessThanOrEqual(TOLERANCE_MS);
      const logs = await apiOk(orch, 'GET', `flowlogs?$filter=_flowsessionid_value eq ${id} and name eq 'stdout'&$orderby=seq&$select=createdon`);
      const logTimes = (logs['value'] as Row[]).map((r) => ms(r['createdon']));
      expect(logTimes).toHaveLength(20);
      for (const t of logTimes) {
        expect(t).toBeGreaterThanOrEqual(started - TOLERANCE_MS);
        expect(t).toBeLessThanOrEqual(completed + TOLERANCE_MS);
      }
    }
    // Sessions ran one after the other in real time; ordered by startedon they come out in that order.
    const ids = runs.map((r) => r.id);
    const sessions = await apiOk(orch, 'GET', `flowsessions?$filter=${ids.map((id) => `flowsessionid eq ${id}`).join(' or ')}&$orderby=startedon&$select=flowsessionid`);
    const byStart = (sessions['value'] as Row[]).map((r) => String(r['flowsessionid']));
    expect(byStart).toEqual(ids);
  }, 90_000);
});
