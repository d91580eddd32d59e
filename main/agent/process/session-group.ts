import { readdirSync, readFileSync } from 'node:fs';

/**
 * Whether process group `pgid` still holds a process of session `sessionId` (Linux: a member's environment has
 * FLOWHOST_SESSION_ID=<id>). After a reboot a recorded pid may belong to anything; this keeps recover() from
 * killing a stranger. Other OSes answer false (no way to tell), so a leftover group there is not killed.
 */
export function isSessionGroup(pgid: number, sessionId: string): boolean {
  if (process.platform !== 'linux') return false;
  const marker = `FLOWHOST_SESSION_ID=${sessionId}\0`;
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return false;
  }
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp === pgid && `${readFileSync(`/proc/${pid}/environ`, 'utf8')}\0`.includes(marker)) return true;
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return false;
}
