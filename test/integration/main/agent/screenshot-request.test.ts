import { existsSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lookupUser } from '../../../../main/agent/process/session-user.js';
import { RunMode } from '../../../../shared/option-sets.js';
import { skipUnless } from '../../../support/requirements.js';
import { waitFor } from '../../../support/wait-for.js';
import { decodePng, hasUsers, hasXTools, isRed, runAs, testDesktop, WAIT_WINDOW, X_TOOLS } from '../../../support/x-display.js';
import { createHarness } from './host-harness.js';

const sh = (script: string) => ({ schemaversion: 1 as const, kind: 'shell' as const, shell: 'sh' as const, script });
const asNobody = { runmode: RunMode.v.Unattended, sessionusername: 'nobody' };
const hasCurl = existsSync('/usr/bin/curl');
/** What a flow runs to ask for a picture (docs/desktop.md): prints `asked <status> <body>`. */
const ASK = 'echo "asked $(curl -s -o /dev/stdout -w " %{http_code}" --unix-socket "$FLOWHOST_SCREENSHOT_SOCKET" -X POST http://flowhost/screenshot)"\n';

describe.skipIf(skipUnless(hasUsers && hasXTools && hasCurl, `root, users nobody and daemon, ${X_TOOLS}, curl`))('a flow asks for a picture of its display while it runs', () => {
  it('the PNG of its own display is stored with its session; another session is untouched; another user cannot connect', async () => {
    const h = createHarness({ sessionUsers: ['nobody'], desktop: testDesktop(), killGraceMs: 2000 });
    try {
      const red = WAIT_WINDOW + 'xmessage -title red -bg red -fg red -geometry 400x300+0+0 red &\nwait_window red\n' + ASK + 'echo "socket $FLOWHOST_SCREENSHOT_SOCKET"\nsleep 60\n';
      const a = h.start({ flow: sh(red), session: asNobody });
      const b = h.start({ flow: sh('echo "socket $FLOWHOST_SCREENSHOT_SOCKET"\nsleep 60\n'), session: asNobody });
      const socketOf = (id: string) => waitFor(() => h.logText(id).find((l) => l.startsWith('socket '))?.slice('socket '.length), { what: 'the flow to print its socket' });
      const [socketA, socketB] = [await socketOf(a.id), await socketOf(b.id)];
      const asked = h.logText(a.id).find((l) => l.startsWith('asked '));
      expect(asked).toMatch(/^asked \{"takenon":"[^"]+","bytes":\d+\} 201$/);
      expect(socketA).not.toBe(socketB);
      const file = statSync(socketA);
      expect([file.isSocket(), file.mode & 0o777, file.uid]).toEqual([true, 0o600, lookupUser('nobody')!.uid]);
      // Another user cannot connect to the session's socket.
      const stranger = await runAs(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--unix-socket', socketA, '-X', 'POST', 'http://flowhost/screenshot'], {}, lookupUser('daemon')!.uid);
      expect(stranger.out).toBe('000');
      const shot = h.store.displays.screenshot(a.id);
      expect(shot).toBeDefined();
      const img = decodePng(shot!.png);
      let reds = 0;
      for (let y = 10; y < 290; y += 10) for (let x = 10; x < 390; x += 10) if (isRed(img.rgba(x, y))) reds++;
      expect(reds / (28 * 38)).toBeGreaterThan(0.8);
      expect(isRed(img.rgba(700, 500))).toBe(false);
      expect(h.logText(a.id)).toContain(`screenshot of the session's display on request stored (${shot!.png.length} bytes)`);
      expect(h.store.displays.screenshot(b.id)).toBeUndefined();
      h.host.cancel(a.id, 'cancelled');
      h.host.cancel(b.id, 'cancelled');
      expect(await a.done).toMatchObject({ statuscode: 7 });
      expect(await b.done).toMatchObject({ statuscode: 7 });
      expect(existsSync(socketA)).toBe(false);
    } finally {
      h.close();
    }
  });
});
