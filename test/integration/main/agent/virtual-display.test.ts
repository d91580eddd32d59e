import { spawn } from 'node:child_process';
import { chmodSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import winston from 'winston';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SessionHost } from '../../../../main/agent/runner/session-host.js';
import { RunMode } from '../../../../shared/option-sets.js';
import { AgentStore } from '../../../../main/agent/store/agent-store.js';
import { lookupUser } from '../../../../main/agent/process/session-user.js';
import { skipUnless } from '../../../support/requirements.js';
import { tempDir } from '../../../support/temp-dir.js';
import { waitFor } from '../../../support/wait-for.js';
import { decodePng, displaySocketExists, hasUsers, hasXTools, isRed, runAs, testDesktop, WAIT_WINDOW, X_TOOLS } from '../../../support/x-display.js';
import { createHarness, fixture, processGone, type Harness } from './host-harness.js';

const sh = (script: string) => ({ schemaversion: 1 as const, kind: 'shell' as const, shell: 'sh' as const, script });
const asNobody = { runmode: RunMode.v.Unattended, sessionusername: 'nobody' };

/** A dir the flows (as nobody) and the test share for markers. */
function sharedDir(): string {
  const dir = tempDir('flowhost-display-');
  chmodSync(dir, 0o777);
  return dir;
}

/** The `display :N auth <file>` line a flow printed. */
async function displayOf(h: Harness, id: string): Promise<{ number: number; auth: string }> {
  const line = await waitFor(() => h.logText(id).find((l) => l.startsWith('display ')), { what: 'the flow to print its display' });
  const [, display, , auth] = line.split(' ');
  return { number: Number((display as string).slice(1)), auth: auth as string };
}

describe.skipIf(skipUnless(hasUsers && hasXTools, `root, users nobody and daemon, ${X_TOOLS}`))('unattended sessions on a private virtual display (Xvfb)', () => {
  it('a flow opens a window and sees it on its own display; two concurrent sessions see only their own windows', async () => {
    const dir = sharedDir();
    const h = createHarness({ sessionUsers: ['nobody'], desktop: testDesktop(), killGraceMs: 2000 });
    try {
      const script = (me: string, other: string) =>
        WAIT_WINDOW +
        `xmessage -title win-${me} -geometry 300x100+0+0 hello &\nwait_window win-${me}\ntouch ${dir}/${me}\n` +
        `i=0; until [ -e ${dir}/${other} ]; do i=$((i+1)); [ $i -gt 200 ] && exit 4; sleep 0.1; done\n` +
        `echo "display $DISPLAY"\nxwininfo -root -tree | grep -o '"win-[a-z]*"' | sort -u | sed 's/^/window /'\n`;
      const a = h.start({ flow: sh(script('a', 'b')), session: asNobody });
      const b = h.start({ flow: sh(script('b', 'a')), session: asNobody });
      expect(await a.done).toMatchObject({ statuscode: 4, runas: 'nobody' });
      expect(await b.done).toMatchObject({ statuscode: 4, runas: 'nobody' });
      const windows = (id: string) => h.logText(id).filter((l) => l.startsWith('window '));
      expect(windows(a.id)).toEqual(['window "win-a"']);
      expect(windows(b.id)).toEqual(['window "win-b"']);
      const [da, db] = [h.logText(a.id), h.logText(b.id)].map((lines) => lines.find((l) => l.startsWith('display ')));
      expect(da).toMatch(/^display :\d+$/);
      expect(da).not.toBe(db);
    } finally {
      h.close();
    }
  });

  it('another user (and root without the cookie) cannot connect to a session display; its cookie file is the session user\'s, 0600', async () => {
    const dir = sharedDir();
    const h = createHarness({ sessionUsers: ['nobody'], desktop: testDesktop(), killGraceMs: 2000 });
    try {
      const script = WAIT_WINDOW + `xmessage -title mine hello &\nwait_window mine\necho "display $DISPLAY auth $XAUTHORITY"\n` + `until [ -e ${dir}/go ]; do sleep 0.1; done\n`;
      const { id, done } = h.start({ flow: sh(script), session: asNobody });
      const { number, auth } = await displayOf(h, id);
      const file = statSync(auth);
      expect(file.mode & 0o777).toBe(0o600);
      expect(file.uid).toBe(lookupUser('nobody')!.uid);
      const list = ['xwininfo', '-root', '-tree', '-display', `:${number}`];
      // The session user with the cookie gets in (so the refusals below are the cookie's doing).
      const owner = await runAs(list, { XAUTHORITY: auth, HOME: '/nonexistent' }, lookupUser('nobody')!.uid);
      expect(owner.out).toContain('"mine"');
      const stranger = await runAs(list, { XAUTHORITY: auth, HOME: '/nonexistent' }, lookupUser('daemon')!.uid);
      expect(stranger.code).not.toBe(0);
      expect(stranger.out).toMatch(/unable to open display/);
      const rootWithoutCookie = await runAs(list, { HOME: '/nonexistent', XAUTHORITY: '/nonexistent' });
      expect(rootWithoutCookie.code).not.toBe(0);
      expect(rootWithoutCookie.out).toMatch(/Authorization required|unable to open display/);
      writeFileSync(join(dir, 'go'), '');
      expect(await done).toMatchObject({ statuscode: 4 });
    } finally {
      h.close();
    }
  });

  it('a flow that fails with a window open leaves a PNG of its display that shows the window; the display ends with the session', async () => {
    const h = createHarness({ sessionUsers: ['nobody'], desktop: testDesktop(), killGraceMs: 2000 });
    try {
      const script = WAIT_WINDOW + 'xmessage -title red -bg red -fg red -geometry 400x300+0+0 oops &\nwait_window red\necho "display $DISPLAY"\nexit 1\n';
      const { id, done } = h.start({ flow: sh(script), session: asNobody });
      const { number } = await displayOf(h, id);
      const [server] = h.store.displays.servers();
      expect(await done).toMatchObject({ statuscode: 8, errorcode: 'FlowExitCode' });
      const shot = h.store.displays.screenshot(id);
      expect(shot).toBeDefined();
      const img = decodePng(shot!.png);
      expect([img.width, img.height]).toEqual([800, 600]);
      let red = 0;
      for (let y = 10; y < 290; y += 10) for (let x = 10; x < 390; x += 10) if (isRed(img.rgba(x, y))) red++;
      expect(red / (28 * 38)).toBeGreaterThan(0.8);
      expect(isRed(img.rgba(700, 500))).toBe(false);
      expect(server && processGone(server.pid)).toBe(true);
      expect(displaySocketExists(number)).toBe(false);
      expect(h.store.displays.servers()).toEqual([]);
    } finally {
      h.close();
    }
  });

  it('the run timeout takes a picture, then ends the flow and its display', async () => {
    const h = createHarness({ sessionUsers: ['nobody'], desktop: testDesktop(), killGraceMs: 2000 });
    try {
      const script = WAIT_WINDOW + 'xmessage -title slow hello &\nwait_window slow\necho "display $DISPLAY"\nsleep 60\n';
      const { id, done } = h.start({ flow: sh(script), session: { ...asNobody, timeout: 2 } });
      expect(await done).toMatchObject({ statuscode: 10, errorcode: 'RunTimeout' });
      const { number } = await displayOf(h, id);
      expect(h.store.displays.screenshot(id)?.png.subarray(1, 4).toString()).toBe('PNG');
      expect(h.logText(id).some((l) => l.startsWith('screenshot of the session'))).toBe(true);
      expect(displaySocketExists(number)).toBe(false);
      expect(h.store.displays.servers()).toEqual([]);
    } finally {
      h.close();
    }
  });

  it('cancel takes a picture, then ends the flow and its display', async () => {
    const h = createHarness({ sessionUsers: ['nobody'], desktop: testDesktop(), killGraceMs: 2000 });
    try {
      const script = WAIT_WINDOW + 'xmessage -title held hello &\nwait_window held\necho "display $DISPLAY"\nsleep 60\n';
      const { id, done } = h.start({ flow: sh(script), session: asNobody });
      const { number } = await displayOf(h, id);
      const [server] = h.store.displays.servers();
      expect(server && processGone(server.pid)).toBe(false);
      h.host.cancel(id, 'cancelled');
      expect(await done).toMatchObject({ statuscode: 7 });
      expect(h.store.displays.screenshot(id)?.png.subarray(1, 4).toString()).toBe('PNG');
      expect(server && processGone(server.pid)).toBe(true);
      expect(displaySocketExists(number)).toBe(false);
      expect(existsSync(`/tmp/.X${number}-lock`)).toBe(false);
    } finally {
      h.close();
    }
  });
});

describe.skipIf(skipUnless(hasUsers && hasXTools, `root, users nobody and daemon, ${X_TOOLS}`))('a virtual display after the agent is killed', () => {
  it('kill -9 of the agent leaves Xvfb running; recover() at the next start ends it (socket and lock gone, record dropped)', async () => {
    const dir = tempDir('agent-display-recover-');
    const agent = spawn(process.execPath, ['--import', 'tsx', fixture('host-runner.ts'), dir, 'display'], { stdio: ['ignore', 'pipe', 'inherit'] });
    onTestFinished(() => void agent.kill('SIGKILL'));
    let line = '';
    for await (const text of createInterface({ input: agent.stdout })) {
      line = text;
      break;
    }
    const [, id, number] = line.split(' ');
    agent.kill('SIGKILL');
    await new Promise((resolve) => agent.once('exit', resolve));

    const store = AgentStore.open(join(dir, 'agent.db'));
    try {
      const [server] = store.displays.servers();
      expect(server?.sessionId).toBe(id);
      expect(processGone(server!.pid)).toBe(false); // the display outlived its agent
      expect(displaySocketExists(Number(number))).toBe(true);
      const host = new SessionHost({ store, dataDir: dir, logger: winston.createLogger({ silent: true }), desktop: testDesktop() });
      host.recover();
      await host.leftoversCleared();
      expect(processGone(server!.pid)).toBe(true);
      expect(displaySocketExists(Number(number))).toBe(false);
      expect(existsSync(`/tmp/.X${number}-lock`)).toBe(false);
      expect(store.displays.servers()).toEqual([]);
      expect(store.getSession(id as string)).toMatchObject({ stage: 'completed', errorcode: 'AgentRestarted' });
    } finally {
      store.close();
    }
  });
});
