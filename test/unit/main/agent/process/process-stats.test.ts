import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ProcStatsReader } from '../../../../../main/agent/process/process-stats.js';
import { waitFor } from '../../../../support/wait-for.js';

describe.skipIf(process.platform !== 'linux')('ProcStatsReader (Linux /proc)', () => {
  it("sums CPU and RSS over a process group's members", async () => {
    // A busy leader with a busy member in its group.
    const code = "require('child_process').spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'inherit' }); console.log('up'); for(;;){}";
    const child = spawn(process.execPath, ['-e', code], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await once(child.stdout!, 'data');
      const reader = new ProcStatsReader();
      const pgid = child.pid as number;
      const first = await reader.read([pgid, 999_999_999]);
      expect(first.get(pgid)?.rssMb).toBeGreaterThan(10);
      expect(first.has(999_999_999)).toBe(false);
      // The figure is a rate between two readings: read until the busy group shows up as busy.
      const busy = await waitFor(async () => {
        const cpu = (await reader.read([pgid])).get(pgid)?.cpuPercent ?? 0;
        return cpu > 5 && cpu;
      }, { intervalMs: 100, what: 'the busy group to show CPU use' });
      expect(busy).toBeGreaterThan(5);
    } finally {
      process.kill(-(child.pid as number), 'SIGKILL');
    }
  });
});
