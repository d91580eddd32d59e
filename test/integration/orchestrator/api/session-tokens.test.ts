import { afterEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../../../orchestrator/auth/secrets.js';
import { mintSessionToken } from '../../../../orchestrator/auth/session-tokens.js';
import { MAX_CHILD_DEPTH, MAX_OPEN_CHILDREN } from '../../../../orchestrator/api/child-sessions.js';
import { SessionStatus } from '../../../../shared/option-sets.js';
import { AGENT_FEATURES, Feature } from '../../../../shared/protocol-features.js';
import { startTestOrchestrator, TestClock, type TestOrchestrator } from '../../../support/orchestrator-harness.js';
import { apiError } from './api-fixtures.js';

/** A session's token as the Web API takes it: only child runs and reads of its own children (orchestrator/api/child-sessions.ts). */
let o: TestOrchestrator;
afterEach(async () => {
  await o?.close();
});

interface Setup {
  groupId: string;
  wfId: string;
  parent: string;
  token: string;
}

async function start(): Promise<Setup> {
  o = await startTestOrchestrator({ clock: TestClock.manual() });
  const groupId = String((await o.group('g1'))['flowmachinegroupid']);
  const wfId = String((await o.workflow())['workflowid']);
  const parent = await o.session(wfId, { _machinegroupid_value: groupId });
  const { token, hash } = mintSessionToken(parent);
  await o.store.sessions.patch(parent, { sessiontokenhash: hash });
  return { groupId, wfId, parent, token };
}

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const runChild = (s: Setup, body: Record<string, unknown> = {}, wfId = s.wfId) => o.api('POST', `workflows(${wfId})/Microsoft.Dynamics.CRM.RunDesktopFlow`, body, as(s.token));

describe('a session token', () => {
  it('runs a child that records its parent (parentworkflowid, the parent session, orphan) and targets where the parent did', async () => {
    const s = await start();
    const res = await runChild(s, { inputs: { n: '1' } });
    expect(res.status, res.text).toBe(200);
    const child = await o.get(res.json.flowsessionId);
    expect(child).toMatchObject({ _parentsessionid_value: s.parent, parentworkflowid: s.wfId, orphan: false, _machinegroupid_value: s.groupId, statuscode: SessionStatus.v.Waiting });
    const orphan = await runChild(s, { orphan: true });
    expect(await o.get(orphan.json.flowsessionId)).toMatchObject({ orphan: true });
    const bad = await runChild(s, { orphan: 'yes' });
    expect(bad.status).toBe(400);
    expect(apiError(bad).reason).toBe('InvalidOrphan');
  });

  it('reads its own children only (collection, $count, record); the admin filters on the parent too', async () => {
    const s = await start();
    const mine = [(await runChild(s)).json.flowsessionId, (await runChild(s)).json.flowsessionId].sort();
    const stranger = await o.session(s.wfId, { _machinegroupid_value: s.groupId });
    const list = await o.api('GET', 'flowsessions?$select=flowsessionid', undefined, as(s.token));
    expect(list.status, list.text).toBe(200);
    expect(list.json.value.map((r: { flowsessionid: string }) => r.flowsessionid).sort()).toEqual(mine);
    const filtered = await o.api('GET', `flowsessions?$filter=flowsessionid eq ${mine[0]}`, undefined, as(s.token));
    expect(filtered.json.value).toHaveLength(1);
    expect((await o.api('GET', 'flowsessions/$count', undefined, as(s.token))).text).toBe('2');
    expect((await o.api('GET', `flowsessions(${mine[1]})`, undefined, as(s.token))).status).toBe(200);
    const admin = await o.api('GET', `flowsessions?$filter=_parentsessionid_value eq ${s.parent}&$select=flowsessionid`);
    expect(admin.json.value.map((r: { flowsessionid: string }) => r.flowsessionid).sort()).toEqual(mine);
    expect((await o.api('GET', `flowsessions(${stranger})`, undefined, as(s.token))).status).toBe(403);
  });

  it.each([
    ['GET', 'workflows'],
    ['GET', 'flowmachinegroups'],
    ['POST', 'workflows'],
    ['GET', ''],
    ['GET', '$metadata'],
    ['GET', 'WhoAmI()'],
    ['GET', 'flowlogs'],
    ['POST', 'flowsessions'],
  ])('is refused %s %s with 403', async (method, path) => {
    const s = await start();
    const res = await o.api(method, path, method === 'POST' ? { name: 'x' } : undefined, as(s.token));
    expect(res.status, res.text).toBe(403);
    expect(apiError(res).message).toContain('a session token may only run child sessions');
  });

  it('is refused reading, changing or cancelling itself or a child (403)', async () => {
    const s = await start();
    const child = (await runChild(s)).json.flowsessionId;
    const calls: [string, string, unknown][] = [
      ['GET', `flowsessions(${s.parent})`, undefined],
      ['PATCH', `flowsessions(${child})`, { priority: 5 }],
      ['DELETE', `flowsessions(${child})`, undefined],
      ['POST', `flowsessions(${child})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`, {}],
      ['POST', `flowsessions(${s.parent})/Microsoft.Dynamics.CRM.CancelDesktopFlowRun`, {}],
    ];
    for (const [method, path, body] of calls) expect((await o.api(method, path, body, as(s.token))).status, `${method} ${path}`).toBe(403);
    expect((await o.get(child))['statuscode']).toBe(SessionStatus.v.Waiting);
  });

  it('is 401 once its session ended, and when it names a session whose hash it does not match', async () => {
    const s = await start();
    const forged = `${s.token.slice(0, s.token.lastIndexOf('.'))}.${'A'.repeat(43)}`;
    expect((await o.api('GET', 'flowsessions', undefined, as(forged))).status).toBe(401);
    expect((await o.api('GET', 'flowsessions', undefined, as(s.token))).status).toBe(200);
    await o.gateway.queue.cancel(s.parent);
    expect((await o.get(s.parent))['sessiontokenhash']).toBeNull();
    const after = await o.api('GET', 'flowsessions', undefined, as(s.token));
    expect(after.status).toBe(401);
    expect((await runChild(s)).status).toBe(401);
  });

  it(`refuses a child deeper than ${MAX_CHILD_DEPTH} with a clear 409`, async () => {
    const s = await start();
    let parent = s.parent;
    for (let depth = 1; depth <= MAX_CHILD_DEPTH; depth++) {
      const child = await o.session(s.wfId, { _machinegroupid_value: s.groupId, _parentsessionid_value: parent });
      parent = child;
    }
    const deepest = mintSessionToken(parent);
    await o.store.sessions.patch(parent, { sessiontokenhash: deepest.hash });
    const res = await runChild({ ...s, token: deepest.token });
    expect(res.status, res.text).toBe(409);
    expect(apiError(res)).toMatchObject({ reason: 'ChildDepthExceeded', message: expect.stringContaining(`at most ${MAX_CHILD_DEPTH} deep`) });
  });

  it(`refuses more than ${MAX_OPEN_CHILDREN} open children with a clear 409; an ended child frees its place`, async () => {
    const s = await start();
    for (let i = 0; i < MAX_OPEN_CHILDREN; i++) await o.session(s.wfId, { _machinegroupid_value: s.groupId, _parentsessionid_value: s.parent });
    const res = await runChild(s);
    expect(res.status, res.text).toBe(409);
    expect(apiError(res)).toMatchObject({ reason: 'TooManyOpenChildren', message: expect.stringContaining(`at most ${MAX_OPEN_CHILDREN} may be open at once`) });
    const one = String((await o.api('GET', `flowsessions?$filter=_parentsessionid_value eq ${s.parent}&$top=1`)).json.value[0].flowsessionid);
    await o.gateway.queue.cancel(one);
    expect((await runChild(s)).status).toBe(200);
  });
});

describe('cascade', () => {
  it('cancelling a parent cancels its open children, not its orphans nor its ended children', async () => {
    const s = await start();
    const a = (await runChild(s)).json.flowsessionId;
    const b = (await runChild(s)).json.flowsessionId;
    const orphan = (await runChild(s, { orphan: true })).json.flowsessionId;
    const grandchildParent = mintSessionToken(a);
    await o.store.sessions.patch(a, { sessiontokenhash: grandchildParent.hash });
    const grandchild = (await runChild({ ...s, token: grandchildParent.token })).json.flowsessionId;
    await o.gateway.queue.cancel(b);
    await o.gateway.queue.cancel(s.parent);
    await expect.poll(async () => (await o.get(a))['statuscode']).toBe(SessionStatus.v.Cancelled);
    await expect.poll(async () => (await o.get(grandchild))['statuscode']).toBe(SessionStatus.v.Cancelled);
    expect((await o.get(orphan))['statuscode']).toBe(SessionStatus.v.Waiting);
  });
});

describe('cascade when a parent ends', () => {
  it('a parent the orchestrator ends (its queue timeout) takes its open non-orphan children with it', async () => {
    const s = await start();
    const parent = await o.session(s.wfId, { _machinegroupid_value: s.groupId, queuetimeout: 60 });
    const minted = mintSessionToken(parent);
    await o.store.sessions.patch(parent, { sessiontokenhash: minted.hash });
    const child = (await runChild({ ...s, token: minted.token })).json.flowsessionId;
    const orphan = (await runChild({ ...s, token: minted.token }, { orphan: true })).json.flowsessionId;
    o.clock.advance(61_000);
    await expect.poll(async () => (await o.get(parent))['statuscode'], { timeout: 10_000 }).not.toBe(SessionStatus.v.Waiting);
    await expect.poll(async () => (await o.get(child))['statuscode']).toBe(SessionStatus.v.Cancelled);
    expect((await o.get(orphan))['statuscode']).toBe(SessionStatus.v.Waiting);
  });
});

describe('minting at assign', () => {
  it('an agent that declared session-tokens gets a token whose hash the session keeps; an older agent gets none', async () => {
    o = await startTestOrchestrator({ clock: TestClock.manual() });
    const groupId = String((await o.group('g1'))['flowmachinegroupid']);
    const wfId = String((await o.workflow())['workflowid']);
    const newer = await o.machine('g1', { name: 'newer', features: [...AGENT_FEATURES] });
    await newer.agent.hello({ features: [...AGENT_FEATURES] });
    const id = await o.session(wfId, { _machinegroupid_value: groupId });
    const assign = await newer.agent.next('assign');
    const token = String(assign.session.sessiontoken);
    expect(token).toMatch(new RegExp(`^fhs1\\.${id}\\.`));
    expect((await o.get(id))['sessiontokenhash']).toBe(hashToken(token));
    await newer.agent.close();

    // The offer comes back and goes to an agent that did not declare the feature: a new token is minted (the first
    // one no longer works), and left out of the frame.
    const without = AGENT_FEATURES.filter((f) => f !== Feature.SessionTokens);
    const older = await o.machine('g1', { name: 'older', features: without });
    await older.agent.hello({ features: without });
    const plain = await older.agent.next('assign');
    expect(plain.session.flowsessionid).toBe(id);
    expect('sessiontoken' in plain.session).toBe(false);
    expect((await o.get(id))['sessiontokenhash']).not.toBe(hashToken(token));
  });
});
