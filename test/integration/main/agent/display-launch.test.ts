import { describe, expect, it } from 'vitest';
import type { SessionDesktop } from '../../../../main/agent/runner/desktop/session-display.js';
import { RunMode } from '../../../../shared/option-sets.js';
import { createHarness } from './host-harness.js';

/**
 * A display that must be entered, not just named (macOS `launchctl asuser`, Windows' console launcher): the session
 * starts the flow through the display's `launch`. Those OS commands cannot run here, so the desktop is a thin stand-in
 * whose launch goes through `env`, a real process.
 */
const enteringDesktop: SessionDesktop = {
  open: async () => ({
    env: { FROM_DISPLAY: 'variables' },
    files: [],
    screenshot: async () => ({ ok: false, reason: 'none here' }),
    close: async () => undefined,
    launch: (plan) => ({ ...plan, file: '/usr/bin/env', args: ['ENTERED=through-launch', plan.file, ...plan.args] }),
  }),
  attendedAvailable: () => true,
  unattendedProblem: () => undefined,
};

describe('a display that wraps the flow\'s launch', () => {
  it('the flow is started through it, with the display\'s variables', async () => {
    const h = createHarness({ desktop: enteringDesktop });
    try {
      const { id, done } = h.start({ flow: { schemaversion: 1, kind: 'shell', shell: 'sh', script: 'echo "$ENTERED $FROM_DISPLAY"' }, session: { runmode: RunMode.v.Attended } });
      expect(await done).toMatchObject({ statuscode: 4 });
      expect(h.logText(id)).toContain('through-launch variables');
    } finally {
      h.close();
    }
  });
});
