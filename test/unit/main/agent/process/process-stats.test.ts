import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ProcStatsReader } from '../../../../../main/agent/process/process-stats.js';

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
      // Let some CPU time accrue between two readings (the figure is a rate).
      await new Promise((r) => setTimeout(r, 300));
      const second = await reader.read([pgid]);
      expect(second.get(pgid)?.cpuPercent).toBeGreaterThan(5);
    } finally {
      process.kill(-(child.pid as number), 'SIGKILL');
    }
  });
});
