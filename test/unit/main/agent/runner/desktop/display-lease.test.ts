import { join } from 'node:path';
import winston from 'winston';
import { describe, expect, it } from 'vitest';
import { DisplayLease } from '../../../../../../main/agent/runner/desktop/display-lease.js';
import type { SessionDesktop } from '../../../../../../main/agent/runner/desktop/session-display.js';
import { AgentStore } from '../../../../../../main/agent/store/agent-store.js';
import { RunMode } from '../../../../../../shared/option-sets.js';
import { MAX_SCREENSHOT_BYTES } from '../../../../../../shared/protocol.js';
import { tempDir } from '../../../../../support/temp-dir.js';

/** A desktop whose one display shows a picture of `bytes` bytes. */
const desktopShowing = (bytes: number): SessionDesktop => ({
  open: async () => ({ env: {}, files: [], screenshot: async () => ({ ok: true, png: Buffer.alloc(bytes, 1) }), close: async () => undefined }),
  attendedAvailable: () => false,
  unattendedProblem: () => undefined,
});

async function capture(bytes: number): Promise<{ notes: string[]; stored: number | undefined }> {
  const store = AgentStore.open(join(tempDir(), 'agent.db'));
  const notes: string[] = [];
  try {
    const o = { desktop: desktopShowing(bytes), store, logger: winston.createLogger({ silent: true }), now: () => new Date(), note: (t: string) => notes.push(t) };
    const lease = await DisplayLease.open(o, { sessionId: 's1', runmode: RunMode.v.Unattended, workDir: tempDir() });
    await lease!.capture();
    return { notes, stored: store.displays.screenshot('s1')?.png.length };
  } finally {
    store.close();
  }
}

describe('DisplayLease: the picture of a session that ended badly', () => {
  it('stores it and says so in the session log; one over MAX_SCREENSHOT_BYTES stays on this machine, and the log says it is not sent', async () => {
    const small = await capture(1000);
    expect(small).toEqual({ notes: ["screenshot of the session's display stored (1000 bytes)"], stored: 1000 });
    const big = await capture(MAX_SCREENSHOT_BYTES + 1);
    expect(big.stored).toBe(MAX_SCREENSHOT_BYTES + 1);
    expect(big.notes).toEqual([`screenshot of the session's display stored (${MAX_SCREENSHOT_BYTES + 1} bytes); over the ${MAX_SCREENSHOT_BYTES} bytes the orchestrator takes, so it stays on this machine`]);
  });
});
