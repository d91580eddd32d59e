import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTerminalStatus, SessionStatus } from '../../shared/option-sets.js';
import { apiOk, apiStdout, createGroup, getSession, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd, type Row } from '../support/api-harness.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';
import { FLOWHOST_BIN } from '../support/flowhost-cli.js';
import { isRoot, LINUX, skipUnless, skipUnlessOn } from '../support/requirements.js';
import { lookupUser } from '../../main/agent/process/session-user.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';

type Orch = Awaited<ReturnType<typeof startApiOrchestrator>>;

async function workflow(o: Orch, name: string, flow: Row): Promise<string> {
  return String((await apiOk(o, 'POST', 'workflows', { name, category: 6, clientdata: JSON.stringify({ schemaversion: 1, ...flow }) }))['workflowid']);
}

const withToken = (o: Orch, token: string, method: string, path: string, body?: unknown) => o.api(method, path, body, { authorization: `Bearer ${token}` });

/** A parent flow that calls `node bin/flowhost.js child run …` as any flow kind can, then waits to be cancelled. */
const PARENT = `
set -u
echo "token=$FLOWHOST_SESSION_TOKEN"
printf %s "$FLOWHOST_SESSION_TOKEN" > "$TOKEN_FILE"
printf %s "$FLOWHOST_API_URL" > "$API_FILE"
echo "waited $("$NODE" "$BIN" child run "$QUICK" --input n=21 --wait)"
"$NODE" "$BIN" child run "$FAILS" --wait > /dev/null; echo "failed child exit=$?"
"$NODE" "$BIN" child run "$SLEEPER" --input n=1 > /dev/null || exit 9
"$NODE" "$BIN" child run "$SLEEPER" --input n=2 > /dev/null || exit 9
"$NODE" "$BIN" child run "$SLEEPER" --orphan > /dev/null || exit 9
echo started
exec sleep 300
`;

describe.skipIf(skipUnlessOn(LINUX, 'the parent flow is a POSIX sh script'))('e2e: child sessions started by a running flow with `flowhost child run`', () => {
  it('three children, one an orphan; the parent cancelled: its children cancelled, the orphan kept; its token does nothing else, and nothing once it ended', async () => {
    const o = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(o, 'g1');
    disposeAfterTest(await startApiAgent(o, { group: 'g1', name: 'parents', capacity: 6 }));
    const dir = tempDir('flowhost-children-');
    const quick = await workflow(o, 'quick', {
      kind: 'node',
      script: "import { writeFileSync } from 'node:fs'; writeFileSync(process.env.FLOWHOST_OUTPUTS, JSON.stringify({ doubled: Number(process.env.FLOWHOST_INPUT_N) * 2 }));",
    });
    const fails = await workflow(o, 'fails', { kind: 'command', argv: [process.execPath, '-e', 'process.exit(3)'] });
    const sleeper = await workflow(o, 'sleeper', { kind: 'command', argv: ['sleep', '300'] });
    const parentWf = await workflow(o, 'parent', {
      kind: 'shell',
      shell: 'sh',
      script: PARENT,
      env: { NODE: process.execPath, BIN: FLOWHOST_BIN, QUICK: quick, FAILS: fails, SLEEPER: sleeper, TOKEN_FILE: join(dir, 'token'), API_FILE: join(dir, 'api') },
    });
    const parent = await runFlow(o, parentWf, { machineGroupId: g });

    await waitFor(async () => (await apiStdout(o, parent)).includes('started') || isTerminalStatus(Number((await getSession(o, parent))['statuscode'])), { what: 'the parent to start its children', timeoutMs: 90_000 });
    const stdout = await apiStdout(o, parent);
    expect(stdout).toContain('started');
    // The token reaches the flow in its environment, and never its log.
    expect(stdout).toContain('token=***');
    expect(stdout).toContain('waited {"doubled":42}');
    expect(stdout).toContain('failed child exit=1');
    const token = readFileSync(join(dir, 'token'), 'utf8');
    expect(token).toMatch(new RegExp(`^fhs1\\.${parent}\\.`));
    expect(readFileSync(join(dir, 'api'), 'utf8')).toBe(`${o.url}/api/data/v9.2`);

    const children = (await apiOk(o, 'GET', `flowsessions?$filter=_parentsessionid_value eq ${parent}&$orderby=createdon&$select=flowsessionid,_regardingobjectid_value,parentworkflowid,orphan,statuscode`))['value'] as Row[];
    expect(children.map((c) => [c['_regardingobjectid_value'], c['orphan']])).toEqual([
      [quick, false],
      [fails, false],
      [sleeper, false],
      [sleeper, false],
      [sleeper, true],
    ]);
    expect(children.every((c) => c['parentworkflowid'] === parentWf)).toBe(true);
    const [, , one, two, orphan] = children.map((c) => String(c['flowsessionid']));
    for (const id of [one!, two!, orphan!]) await waitFor(async () => (await getSession(o, id))['statuscode'] === SessionStatus.v.Running, { what: `child ${id} to run`, timeoutMs: 30_000 });

    // The token reads its children and nothing else.
    expect((await withToken(o, token, 'GET', 'flowsessions?$select=flowsessionid')).json.value).toHaveLength(5);
    for (const [method, path] of [
      ['GET', 'workflows'],
      ['GET', `flowsessions(${parent})`],
      ['POST', `flowsessions(${one})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`],
      ['GET', 'flowmachines'],
    ] as const) {
      expect((await withToken(o, token, method, path, method === 'POST' ? {} : undefined)).status, `${method} ${path}`).toBe(403);
    }

    expect((await o.api('POST', `flowsessions(${parent})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`)).status).toBe(204);
    expect(await waitForSessionEnd(o, parent, 30_000)).toMatchObject({ statuscode: SessionStatus.v.Cancelled });
    for (const id of [one!, two!]) expect(await waitForSessionEnd(o, id, 30_000)).toMatchObject({ statuscode: SessionStatus.v.Cancelled });
    expect((await getSession(o, orphan!))['statuscode']).toBe(SessionStatus.v.Running);

    // Revoked with its session.
    const after = await withToken(o, token, 'GET', 'flowsessions');
    expect(after.status).toBe(401);
    expect((await o.api('POST', `flowsessions(${orphan})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`)).status).toBe(204);
    expect(await waitForSessionEnd(o, orphan!, 30_000)).toMatchObject({ statuscode: SessionStatus.v.Cancelled });
  }, 180_000);

  it.skipIf(skipUnless(isRoot && lookupUser('nobody') !== undefined, { what: 'root and a `nobody` user, to run the parent flow as a session user', platforms: LINUX }))(
    'a parent flow run as nobody gets its token and waits for its child (needs root and a `nobody` user)',
    async () => {
      const o = disposeAfterTest(await startApiOrchestrator());
      const g = await createGroup(o, 'g1');
      disposeAfterTest(await startApiAgent(o, { group: 'g1', name: 'run-as', capacity: 2, sessionUsers: ['nobody'] }));
      const quick = await workflow(o, 'quick', {
        kind: 'node',
        script: "import { writeFileSync } from 'node:fs'; writeFileSync(process.env.FLOWHOST_OUTPUTS, JSON.stringify({ uid: process.getuid() }));",
      });
      const parentWf = await workflow(o, 'parent', {
        kind: 'shell',
        shell: 'sh',
        script: 'echo "uid $(id -u) $("$NODE" "$BIN" child run "$QUICK" --wait)"',
        env: { NODE: process.execPath, BIN: FLOWHOST_BIN, QUICK: quick, HOME: '/tmp' },
      });
      const parent = await runFlow(o, parentWf, { machineGroupId: g, sessionUser: 'nobody' });
      expect(await waitForSessionEnd(o, parent, 60_000)).toMatchObject({ statuscode: SessionStatus.v.Succeeded, sessionusername: 'nobody' });
      const uid = lookupUser('nobody')!.uid;
      expect(await apiStdout(o, parent)).toEqual([`uid ${uid} {"uid":${uid}}`]);
    },
    90_000,
  );
});
