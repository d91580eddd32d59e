import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small tmpfs (real kernel ENOSPC) and read-only bind mounts, for the disk-full and read-only tests. Needs root
 * (CAP_SYS_ADMIN); `mountSupport()` says whether this machine allows it and why not.
 */
export function mountSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `tmpfs and bind mounts are Linux-only (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'mounting a tmpfs needs root; run as root (CI does) to prove disk-full and read-only handling' };
  const probe = mkdtempSync(join(tmpdir(), 'flowhost-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe], { stdio: 'pipe' });
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `root, but mount is refused here (container without CAP_SYS_ADMIN?): ${(err as Error).message.split('\n')[0]}` };
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

export class SmallDisk {
  readonly root: string;
  private fillers = 0;

  private constructor(readonly sizeMiB: number) {
    this.root = mkdtempSync(join(tmpdir(), 'flowhost-small-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0700`, 'tmpfs', this.root], { stdio: 'pipe' });
  }

  static mount(sizeMiB: number): SmallDisk {
    return new SmallDisk(sizeMiB);
  }

  dir(name: string): string {
    const d = join(this.root, name);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    return d;
  }

  freeBytes(): number {
    const s = statfsSync(this.root);
    return s.bavail * s.bsize;
  }

  /** Writes filler until at most `leaveBytes` are free (0: until the kernel says ENOSPC). Returns the bytes written. */
  fill(leaveBytes = 0): number {
    const fd = openSync(join(this.root, `filler-${++this.fillers}`), 'w');
    let written = 0;
    try {
      for (const chunk of [1_048_576, 65_536, 4096, 512]) {
        const buf = Buffer.alloc(chunk, 0x5a);
        while (this.freeBytes() - chunk >= leaveBytes) {
          try {
            written += writeSync(fd, buf);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw err;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
    return written;
  }

  /** Removes every filler: the space comes back. */
  unfill(): void {
    for (let i = 1; i <= this.fillers; i++) rmSync(join(this.root, `filler-${i}`), { force: true });
    this.fillers = 0;
  }

  /** A read-only view of `dir` (bind mount + remount ro); `remount(true)` makes it writable again. */
  bindReadOnly(dir: string): { path: string; setWritable(writable: boolean): void; dispose(): void } {
    const path = mkdtempSync(join(tmpdir(), 'flowhost-ro-view-'));
    execFileSync('mount', ['--bind', dir, path], { stdio: 'pipe' });
    const set = (writable: boolean) => execFileSync('mount', ['-o', `remount,${writable ? 'rw' : 'ro'},bind`, path], { stdio: 'pipe' });
    set(false);
    return {
      path,
      setWritable: set,
      dispose: () => {
        execFileSync('umount', [path], { stdio: 'pipe' });
        rmSync(path, { recursive: true, force: true });
      },
    };
  }

  dispose(): void {
    execFileSync('umount', ['-l', this.root], { stdio: 'pipe' });
    rmSync(this.root, { recursive: true, force: true });
  }
}
