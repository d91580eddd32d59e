import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LINUX, skipUnlessOn } from '../../../support/requirements.js';
import { tempDir } from '../../../support/temp-dir.js';
import { waitFor } from '../../../support/wait-for.js';
import { createHarness, processGone } from './host-harness.js';

const shell = (script: string) => ({ schemaversion: 1, kind: 'shell', shell: 'sh', script }) as const;

/** Issue 12 items 1 and 5 for flows of the agent's own user: what the flow makes of its outputs path, and cancel. */
describe.skipIf(skipUnlessOn(LINUX, 'sh flows, mkfifo and Linux file leases (python3 fcntl)'))("a flow's end the agent cannot be stuck on", () => {
  it('mkdir, mkfifo or a symlink at $FLOWHOST_OUTPUTS: OutputsInvalid, no content quoted, and the host runs the next session', async () => {
    const secret = join(tempDir(), 'secret');
    writeFileSync(secret, 'MARKER-own-user\n', { mode: 0o600 });
    const h = createHarness();
    try {
      for (const make of ['mkdir "$FLOWHOST_OUTPUTS"', 'mkfifo "$FLOWHOST_OUTPUTS"', `ln -s '${secret}' "$FLOWHOST_OUTPUTS"`]) {
        const { id, done } = h.start({ flow: shell(`${make}; exit 0`) });
        const end = await Promise.race([done, waitFor(() => false, { what: `the session of '${make}' to end`, timeoutMs: 10_000 })]);
        expect(end).toMatchObject({ statuscode: 8, errorcode: 'OutputsInvalid' });
        expect(JSON.stringify(end) + h.logText(id).join('\n')).not.toContain('MARKER');
      }
      const { done } = h.start({ flow: shell('echo next') });
      expect(await done).toMatchObject({ statuscode: 4 });
      expect(h.host.runningCount()).toBe(0);
    } finally {
      h.close();
    }
  });

  it('a write lease a flow left on its outputs file (a blocking open waits out lease-break-time, 45 s): OutputsInvalid at once', async () => {
    const script = [
      'import fcntl, os, signal',
      "p = os.environ['FLOWHOST_OUTPUTS']",
      "open(p, 'w').write('{}')",
      'r, w = os.pipe()',
      'if os.fork() == 0:',
      '    os.setsid()',
      '    signal.signal(signal.SIGIO, signal.SIG_IGN)  # a lease break notice does not end it',
      '    fd = os.open(p, os.O_WRONLY)',
      '    fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)',
      "    null = os.open('/dev/null', os.O_RDWR)",
      '    for n in (0, 1, 2): os.dup2(null, n)',
      "    os.write(w, str(os.getpid()).encode()); os.close(w)",
      '    signal.pause()',
      '    os._exit(0)',
      'os.close(w)',
      "print('holder', os.read(r, 32).decode(), flush=True)",
    ].join('\n');
    const h = createHarness();
    let holder = 0;
    try {
      const { id, done } = h.start({ flow: { schemaversion: 1, kind: 'command', argv: ['python3', '-c', script] } });
      holder = Number(await waitFor(() => h.logText(id).find((l) => l.startsWith('holder '))?.slice(7), { what: 'the lease holder pid' }));
      const end = await Promise.race([done, waitFor(() => false, { what: 'the session to end', timeoutMs: 10_000 })]);
      expect(end).toMatchObject({ statuscode: 8, errorcode: 'OutputsInvalid' });
    } finally {
      if (holder > 0 && !processGone(holder)) process.kill(holder, 'SIGKILL');
      h.close();
    }
  });

  it('a cancel after the flow exited, while a child it left holds its pipes, ends the session at once and frees its slot', async () => {
    // The pipes wait would last 10 minutes; only the cancel can end it in the test's time.
    const h = createHarness({ stdioDrainMs: 600_000 });
    try {
      const { id, done } = h.start({ flow: shell('sleep 600 & echo "bg $!"; exit 0') });
      const bg = Number(await waitFor(() => h.logText(id).find((l) => l.startsWith('bg '))?.slice(3), { what: 'the background pid' }));
      const leader = await waitFor(() => h.store.getSession(id)?.pid, { what: 'the flow pid' });
      await waitFor(() => processGone(leader), { what: 'the flow leader to exit' });
      h.host.cancel(id, 'cancelled');
      const end = await Promise.race([done, waitFor(() => false, { what: 'the cancelled session to end', timeoutMs: 10_000 })]);
      expect(end).toMatchObject({ statuscode: 7, errorcode: 'Cancelled' });
      expect(h.host.runningCount()).toBe(0);
      await waitFor(() => processGone(bg), { what: 'the background child to be killed with its group' });
    } finally {
      h.close();
    }
  });
});
