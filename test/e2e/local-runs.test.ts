import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, fixture } from './e2e-harness.js';
import { apiStdout, createFixtureWorkflow, createGroup, getSession, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd, type ApiAgent } from '../support/api-harness.js';
import type { TestOrchestrator } from '../support/orchestrator-harness.js';
import { pathOnlyEnv, runFlowhost } from '../support/flowhost-cli.js';
import { POSIX, skipUnlessOn } from '../support/requirements.js';
import { waitFor } from '../support/wait-for.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';

/** `flowhost run …` as a child process (the real CLI), with a bare environment. */
const flowhostRun = (args: string[]) => runFlowhost(['run', ...args], { env: pathOnlyEnv(), timeoutMs: 60_000 });

const sessionIdOf = (stdout: string): string => {
  const m = /^session ([0-9a-f-]{36}) /m.exec(stdout);
  if (!m) throw new Error(`no session id in: ${stdout}`);
  return m[1]!;
};

async function stoppedAgent(o: TestOrchestrator, name: string): Promise<ApiAgent> {
  await createGroup(o, `${name}-g`);
  const a = disposeAfterTest(await startApiAgent(o, { group: `${name}-g`, name }));
  await a.agent.stop();
  return a;
}

describe('Local runs (flowhost run) reported upstream', () => {
  it('a run made while the agent is stopped appears in the Web API once the agent connects: runmode 0, triggertype 2, Succeeded, with its logs', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const a = await stoppedAgent(orch, 'local-off');
    const file = join(a.dataDir, 'lines-flow.json');
    writeFileSync(file, JSON.stringify({ name: 'offline lines', clientdata: { schemaversion: 1, kind: 'command', argv: [process.execPath, fixture('lines.mjs')] } }));
    const run = await flowhostRun([file, '--input', 'lines=3', '--input', 'name=offline', '--data-dir', a.dataDir]);
    expect(run.code, run.stderr).toBe(0);
    const id = sessionIdOf(run.stdout);
    expect((await orch.api('GET', `flowsessions(${id})`)).status).toBe(404);

    const back = disposeAfterTest(await startApiAgent(orch, { group: 'local-off-g', name: 'local-off', dataDir: a.dataDir }));
    const end = await waitForSessionEnd(orch, id);
    expect(end).toMatchObject({ name: 'offline lines', runmode: 0, triggertype: 2, statuscode: 4, statecode: 0, _machineid_value: a.machineId });
    expect(JSON.parse(String(end['outputs']))).toEqual({ greeting: 'hello offline', lines: 3 });
    expect(end['startedon']).toBeTruthy();
    expect(await apiStdout(orch, id)).toEqual(['line 1 of 3', 'line 2 of 3', 'line 3 of 3']);
    const types = await orch.api('GET', `flowlogs?$filter=_flowsessionid_value eq ${id}&$orderby=seq&$select=type`);
    const names = (types.json.value as { type: number }[]).map((r) => r.type);
    expect(names[0]).toBe(100000006); // RunConfirmed
    expect(names.at(-1)).toBe(100000007); // RunCompleted
    await waitFor(() => back.agent.state().backlog.events === 0, { what: 'the outbox to drain' });
  });

  it('a run by workflow id reads the workflow with the machine credential; an unreachable orchestrator is a clear error', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const wf = await createFixtureWorkflow(orch, 'lines.mjs', {
      inputschema: JSON.stringify({ type: 'object', properties: { lines: { type: 'integer' } } }),
    });
    const a = await stoppedAgent(orch, 'local-id');
    const run = await flowhostRun([wf, '--input', 'lines=2', '--data-dir', a.dataDir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('line 2 of 2');
    const id = sessionIdOf(run.stdout);
    const back = disposeAfterTest(await startApiAgent(orch, { group: 'local-id-g', name: 'local-id', dataDir: a.dataDir }));
    const end = await waitForSessionEnd(orch, id);
    expect(end).toMatchObject({ runmode: 0, triggertype: 2, statuscode: 4, _regardingobjectid_value: wf, name: 'lines.mjs' });

    await back.agent.stop();
    await orch.close();
    const offline = await flowhostRun([wf, '--data-dir', a.dataDir]);
    expect(offline.code).toBe(1);
    expect(offline.stderr).toMatch(/cannot reach the orchestrator at http:\/\/127\.0\.0\.1:\d+\/agent\/v1\/workflows\/.*workflow .* cannot be read; run a workflow file instead/);
  });

  it('a run made while the agent is connected on the same data dir is reported without waiting for a reconnect', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    await createGroup(orch, 'local-on-g');
    const a = disposeAfterTest(await startApiAgent(orch, { group: 'local-on-g', name: 'local-on' }));
    const file = join(a.dataDir, 'flow.json');
    writeFileSync(file, JSON.stringify({ schemaversion: 1, kind: 'command', argv: [process.execPath, fixture('lines.mjs')] }));
    const run = await flowhostRun([file, '--data-dir', a.dataDir]);
    expect(run.code, run.stderr).toBe(0);
    const end = await waitForSessionEnd(orch, sessionIdOf(run.stdout));
    expect(end).toMatchObject({ runmode: 0, triggertype: 2, statuscode: 4, _machineid_value: a.machineId });
    expect(a.agent.state().connection.status).toBe('connected');
  });

  it('a run by id on an unregistered data dir says how to register', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const wf = await createFixtureWorkflow(orch, 'lines.mjs');
    const dir = mkdtempSync(join(tmpdir(), 'flowhost-unregistered-'));
    try {
      const r = await flowhostRun([wf, '--data-dir', dir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("needs this machine's registration");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an agent that lost its store', () => {
  it.skipIf(skipUnlessOn(POSIX, 'process groups (kill -pgid)'))('comes back with a wiped agent.db: its confirmed running session is Aborted (AgentLostSession) and new work runs with seqs after appliedUpTo', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const group = await createGroup(orch, 'wipe-g');
    const a = disposeAfterTest(await startApiAgent(orch, { group: 'wipe-g', name: 'wipe' }));
    const ticker = await createFixtureWorkflow(orch, 'ticker.mjs');
    const id = await runFlow(orch, ticker, { machineGroupId: group, inputs: { printPid: true, everyMs: 50 } });
    const pidLine = await waitFor(async () => (await apiStdout(orch, id)).find((l) => l.startsWith('pid ')), { what: 'the flow to print its pid' });
    const pid = Number(pidLine.split(' ')[1]);
    await a.agent.stop();
    process.kill(-pid, 'SIGKILL'); // the flow's process group: nothing is left to re-attach to
    await waitFor(() => !alive(pid), { what: 'the flow to be gone' });
    for (const f of readdirSync(a.dataDir)) if (f.startsWith('agent.db')) rmSync(join(a.dataDir, f));
    expect(existsSync(join(a.dataDir, 'credentials.json'))).toBe(true);

    const back = disposeAfterTest(await startApiAgent(orch, { group: 'wipe-g', name: 'wipe', dataDir: a.dataDir }));
    expect(back.machineId).toBe(a.machineId);
    const lost = await waitForSessionEnd(orch, id);
    expect(lost).toMatchObject({ statuscode: 11, errorcode: 'AgentLostSession' });
    const lines = await orch.api('GET', `flowlogs?$filter=_flowsessionid_value eq ${id} and name eq 'AgentLostSession'`);
    expect(lines.json.value).toHaveLength(1);

    const lines3 = await createFixtureWorkflow(orch, 'lines.mjs');
    const next = await runFlow(orch, lines3, { machineGroupId: group, inputs: { lines: 2 } });
    expect(await waitForSessionEnd(orch, next)).toMatchObject({ statuscode: 4 });
    expect(await apiStdout(orch, next)).toEqual(['line 1 of 2', 'line 2 of 2']);
    expect((await getSession(orch, id))['statuscode']).toBe(11);
  });

  it('registered anew on the same data dir: the old store is kept as agent.db.<old machine id>.bak and the new machine numbers from 1', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const group = await createGroup(orch, 'rereg-g');
    const a = disposeAfterTest(await startApiAgent(orch, { group: 'rereg-g', name: 'rereg' }));
    const wf = await createFixtureWorkflow(orch, 'lines.mjs');
    expect(await waitForSessionEnd(orch, await runFlow(orch, wf, { machineGroupId: group, inputs: { lines: 1 } }))).toMatchObject({ statuscode: 4 });
    await a.agent.stop();
    rmSync(join(a.dataDir, 'credentials.json'));
    const b = disposeAfterTest(await startApiAgent(orch, { group: 'rereg-g', name: 'rereg', dataDir: a.dataDir }));
    expect(b.machineId).not.toBe(a.machineId);
    expect(existsSync(join(a.dataDir, `agent.db.${a.machineId}.bak`))).toBe(true);
    const id = await runFlow(orch, wf, { machineGroupId: group, inputs: { lines: 2 } });
    expect(await waitForSessionEnd(orch, id)).toMatchObject({ statuscode: 4, _machineid_value: b.machineId });
    expect(await apiStdout(orch, id)).toEqual(['line 1 of 2', 'line 2 of 2']);
  });
});
