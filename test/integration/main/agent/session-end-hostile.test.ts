import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../support/temp-dir.js';
import { waitFor } from '../../../support/wait-for.js';
import { createHarness, processGone } from './host-harness.js';

const shell = (script: string) => ({ schemaversion: 1, kind: 'shell', shell: 'sh', script }) as const;

/** Issue 12 items 1 and 5 for flows of the agent's own user: what the flow makes of its outputs path, and cancel. */
describe("a flow's end the agent cannot be stuck on", () => {
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
