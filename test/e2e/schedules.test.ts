import { describe, expect, it } from 'vitest';
import { disposeAfterTest } from '../support/dispose-after-test.js';
import { apiOk, createGroup, startApiAgent, startApiOrchestrator, waitForSessionEnd, type Row } from '../support/api-harness.js';
import { waitFor } from '../support/wait-for.js';

/** Schedules through the Web API with a real agent (docs/schedules.md). */
describe('schedules', () => {
  it('a schedule every second starts one session per due time across an orchestrator restart, each run by the agent', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const groupId = await createGroup(orch, 'g1');
    const workflow = await apiOk(orch, 'POST', 'workflows', { name: 'tick', category: 6, clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: ['true'] }) });
    disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'm', capacity: 4 }));
    const schedule = await apiOk(orch, 'POST', 'schedules', {
      name: 'every second',
      _workflowid_value: workflow['workflowid'],
      _machinegroupid_value: groupId,
      cronexpression: '* * * * * *',
    });
    const id = String(schedule['scheduleid']);
    expect(Date.parse(String(schedule['nextrunon']))).toBeGreaterThan(Date.now() - 2000);
    const sessions = async (): Promise<Row[]> =>
      (await apiOk(orch, 'GET', `flowsessions?$filter=schedule_id eq ${id}&$select=scheduledfor,statuscode,flowsessionid&$orderby=scheduledfor`))['value'] as Row[];

    await waitFor(async () => (await sessions()).length >= 3, { what: 'three scheduled sessions', timeoutMs: 20_000, intervalMs: 100 });
    await orch.restart();
    const before = (await sessions()).length;
    await waitFor(async () => (await sessions()).length >= before + 3, { what: 'three more after the restart', timeoutMs: 20_000, intervalMs: 100 });
    const disabled = await apiOk(orch, 'PATCH', `schedules(${id})`, { isenabled: false });
    expect(disabled['nextrunon']).toBeNull();

    const rows = await sessions();
    const due = rows.map((r) => String(r['scheduledfor']));
    expect(new Set(due).size).toBe(due.length);
    for (const at of due) expect(Date.parse(at) % 1000).toBe(0);
    for (const row of rows) expect((await waitForSessionEnd(orch, String(row['flowsessionid'])))['statuscode']).toBe(4);
    expect((await sessions()).length).toBe(rows.length);
  });

  it('refuses a schedule whose cron expression or time zone is wrong, saying which', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const groupId = await createGroup(orch, 'g1');
    const workflow = await apiOk(orch, 'POST', 'workflows', { name: 'tick', category: 6, clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: ['true'] }) });
    const base = { name: 's', _workflowid_value: workflow['workflowid'], _machinegroupid_value: groupId };
    const badCron = await orch.api('POST', 'schedules', { ...base, cronexpression: '61 * * * *' });
    expect(badCron.status).toBe(400);
    expect(badCron.text).toMatch(/cron/i);
    const badZone = await orch.api('POST', 'schedules', { ...base, cronexpression: '0 * * * *', timezone: 'Mars/Olympus' });
    expect(badZone.status).toBe(400);
    expect(badZone.text).toContain('Mars/Olympus');
  });
});
