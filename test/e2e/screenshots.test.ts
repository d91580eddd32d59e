import { describe, expect, it } from 'vitest';
import { Feature, ORCHESTRATOR_FEATURES } from '../../shared/protocol-features.js';
import { apiOk, createFixtureWorkflow, createGroup, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd, type Row } from '../support/api-harness.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';
import type { TestOrchestrator } from '../support/orchestrator-harness.js';
import { skipUnless } from '../support/requirements.js';
import { decodePng, hasUsers, hasXTools, isRed, testDesktop, WAIT_WINDOW, X_TOOLS } from '../support/x-display.js';

const FAILED = 8;

/** An unattended flow (as nobody, on its private display) that opens a red 400x300 window and fails while it is open. */
const failingWindowFlow = (o: TestOrchestrator) =>
  createFixtureWorkflow(o, 'lines.mjs', {
    name: 'failing desktop flow',
    clientdata: JSON.stringify({
      schemaversion: 1,
      kind: 'shell',
      shell: 'sh',
      script: WAIT_WINDOW + 'xmessage -title red -bg red -fg red -geometry 400x300+0+0 oops &\nwait_window red\necho "window open on $DISPLAY"\nexit 1\n',
    }),
  });

/** `GET flowsessions(<id>)/screenshot/$value` as raw bytes (the harness's `api` reads bodies as text). */
async function screenshotValue(o: TestOrchestrator, id: string, token = o.token): Promise<{ status: number; type: string | null; body: Buffer }> {
  const res = await fetch(`${o.url}/api/data/v9.2/flowsessions(${id})/screenshot/$value`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}

const agentLines = async (o: TestOrchestrator, id: string): Promise<string[]> =>
  ((await apiOk(o, 'GET', `flowlogs?$filter=_flowsessionid_value eq ${id}&$select=data`))['value'] as Row[]).map((r) => String(r['data']));

async function failedRun(o: TestOrchestrator): Promise<{ id: string; end: Row }> {
  const g = await createGroup(o, 'desktops');
  disposeAfterTest(await startApiAgent(o, { group: 'desktops', name: 'desk', desktop: testDesktop(), sessionUsers: ['nobody'] }));
  const id = await runFlow(o, await failingWindowFlow(o), { machineGroupId: g });
  return { id, end: await waitForSessionEnd(o, id, 30_000) };
}

describe.skipIf(skipUnless(hasUsers && hasXTools, `root, users nobody and daemon, ${X_TOOLS}`))('e2e: the screenshot of a failed run, through the Web API', () => {
  it('a flow that fails with its window open: the orchestrator serves the PNG at flowsessions(<id>)/screenshot/$value and it shows the window', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const { id, end } = await failedRun(orch);
    expect(end['statuscode']).toBe(FAILED);

    const shot = await screenshotValue(orch, id);
    expect(shot.status).toBe(200);
    expect(shot.type).toBe('image/png');
    const img = decodePng(shot.body);
    expect([img.width, img.height]).toEqual([800, 600]);
    let red = 0;
    for (let y = 10; y < 290; y += 10) for (let x = 10; x < 390; x += 10) if (isRed(img.rgba(x, y))) red++;
    expect(red / (28 * 38)).toBeGreaterThan(0.8);
    expect(isRed(img.rgba(700, 500))).toBe(false);
    expect((await agentLines(orch, id)).some((d) => d.includes('screenshot of the session') && d.includes('stored'))).toBe(true);

    // Authenticated like the rest of the API.
    expect((await screenshotValue(orch, id, 'wrong-token')).status).toBe(401);
    // Kept as long as the session: deleting the session removes its picture.
    expect((await orch.api('DELETE', `flowsessions(${id})`)).status).toBe(204);
    expect(await orch.store.screenshots.forSession(id)).toBeUndefined();
    expect((await screenshotValue(orch, id)).status).toBe(404);
  });

  it('an orchestrator that did not declare `screenshots` gets every event of the session and no picture (404, Dataverse-shaped)', async () => {
    const older = disposeAfterTest(await startApiOrchestrator({ features: ORCHESTRATOR_FEATURES.filter((f) => f !== Feature.Screenshots) }));
    const { id, end } = await failedRun(older);
    expect(end).toMatchObject({ statuscode: FAILED, errorcode: 'FlowExitCode' });
    const lines = await agentLines(older, id);
    expect(lines.some((d) => d.includes('window open on :'))).toBe(true);
    expect(lines.some((d) => d.includes('screenshot of the session') && d.includes('stored'))).toBe(true);

    expect(await older.store.screenshots.forSession(id)).toBeUndefined();
    const none = await screenshotValue(older, id);
    expect(none.status).toBe(404);
    const error = (JSON.parse(none.body.toString('utf8')) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('0x80040217');
    expect(error.message).toContain('has no screenshot');
  });
});
