import { spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_DISPLAY_SETTINGS } from '../../main/agent/config/display-settings.js';
import { writeXAuthority } from '../../main/agent/runner/desktop/x-authority.js';
import { startXvfb } from '../../main/agent/runner/desktop/xvfb.js';
import { currentUser } from '../../main/agent/process/session-user.js';
import { QueueReason } from '../../shared/error-codes.js';
import { apiOk, createFixtureWorkflow, createGroup, getSession, runFlow, startApiAgent, startApiOrchestrator, waitForSessionEnd, type Row } from '../support/api-harness.js';
import { disposeAfterTest } from '../support/dispose-after-test.js';
import type { TestOrchestrator } from '../support/orchestrator-harness.js';
import { isRoot, skipUnless } from '../support/requirements.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { hasXTools, testDesktop, X_TOOLS } from '../support/x-display.js';

const FLOWLOG_ASSIGNED = 100000004;
const flowlogs = async (o: TestOrchestrator, id: string) => (await apiOk(o, 'GET', `flowlogs?$filter=_flowsessionid_value eq ${id}&$select=type,data`))['value'] as Row[];
const shellWorkflow = (o: TestOrchestrator, script: string) =>
  createFixtureWorkflow(o, 'lines.mjs', { name: 'desktop flow', clientdata: JSON.stringify({ schemaversion: 1, kind: 'shell', shell: 'sh', script }) });

/** Waits until the queue has planned the session and says why it waits; no offer may have been made by then. */
async function waitsBeforeAnyOffer(orch: TestOrchestrator, id: string, reason: string): Promise<void> {
  await waitFor(async () => (await getSession(orch, id))['queuereason'] === reason, { what: `queuereason ${reason}` });
  expect((await getSession(orch, id))['statuscode']).toBe(3);
  expect((await flowlogs(orch, id)).filter((l) => l['type'] === FLOWLOG_ASSIGNED)).toEqual([]);
}

describe.skipIf(skipUnless(isRoot && hasXTools, `root, ${X_TOOLS}`))('e2e: the run modes a machine can serve now, through the Web API', () => {
  it('attended with nobody signed in to a graphical session waits AttendedUserNotSignedIn before any offer; signed in, it runs on that display', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(orch, 'g1');
    // The signed-in user's session as the tray app's environment would show it: nothing yet.
    const session: Record<string, string> = {};
    const desktop = testDesktop({ graphical: { env: session, agentUser: currentUser(), loginctl: null }, attendedCacheMs: 0 });
    const m = disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'desk', attendedMode: true, desktop }));
    const wf = await shellWorkflow(orch, 'echo "on $DISPLAY"; xwininfo -root -tree | grep -c \'"user-window"\'');
    const id = await runFlow(orch, wf, { machineGroupId: g, runMode: 'attended' });
    await waitsBeforeAnyOffer(orch, id, QueueReason.AttendedUserNotSignedIn);
    expect(m.agent.state().scheduling.attendedAvailable).toBe(false);

    // The user signs in: their display, with a window of theirs on it.
    const dir = tempDir('flowhost-user-display-');
    chmodSync(dir, 0o711);
    const auth = join(dir, 'Xauthority');
    await writeXAuthority('/usr/bin/xauth', auth, undefined);
    const server = await startXvfb({ sessionId: 'user-desktop', xvfb: '/usr/bin/Xvfb', authFile: auth, settings: { ...DEFAULT_DISPLAY_SETTINGS, width: 640, height: 480 }, setpriv: null, spawned: () => undefined });
    onTestFinished(() => server.stop());
    const window = spawn('xmessage', ['-title', 'user-window', 'hello'], { env: { PATH: '/usr/bin:/bin', DISPLAY: `:${server.number}`, XAUTHORITY: auth }, stdio: 'ignore' });
    onTestFinished(() => void window.kill());
    Object.assign(session, { DISPLAY: `:${server.number}`, XAUTHORITY: auth });
    m.agent.setAttendedMode(true); // the tray's toggle sends the new state at once (a heartbeat would, a little later)

    const end = await waitForSessionEnd(orch, id);
    expect(end['statuscode']).toBe(4);
    const lines = (await flowlogs(orch, id)).map((l) => String(l['data']));
    expect(lines.some((d) => d.includes(`on :${server.number}`))).toBe(true);
  });

  it('virtualDisplay on without Xvfb: unattended sessions wait DisplayUnavailable before any offer', async () => {
    const orch = disposeAfterTest(await startApiOrchestrator());
    const g = await createGroup(orch, 'g1');
    const desktop = testDesktop({ settings: { ...DEFAULT_DISPLAY_SETTINGS, mode: 'on' }, xvfbPath: null });
    disposeAfterTest(await startApiAgent(orch, { group: 'g1', name: 'headless', desktop }));
    const wf = await shellWorkflow(orch, 'true');
    const id = await runFlow(orch, wf, { machineGroupId: g });
    await waitsBeforeAnyOffer(orch, id, QueueReason.DisplayUnavailable);
  });
});
