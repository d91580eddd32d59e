import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, openSync } from 'node:fs';
import type { DirOwner } from '../run-as-dir.js';

/** The only X authorization protocol flowhost writes: a 128-bit shared secret. */
const MIT_MAGIC_COOKIE = 'MIT-MAGIC-COOKIE-1';

/**
 * Writes a new X authority file holding one fresh MIT-MAGIC-COOKIE-1 for any display (FamilyWild, no number: the
 * display number is known only once Xvfb has started, and Xvfb ignores the address part when it loads `-auth`).
 * xauth writes it (read from stdin, so the cookie is never in argv); then it is made 0600 and given to `owner`
 * (the session user: their Xvfb and their flow read it). The file lives in the agent's work dir, which nobody else
 * can create entries in, so no path here passes through anything another user controls.
 */
export async function writeXAuthority(xauth: string, path: string, owner: DirOwner | undefined): Promise<void> {
  const cookie = randomBytes(16).toString('hex');
  const name = Buffer.from(MIT_MAGIC_COOKIE, 'latin1');
  // xauth's numeric format (`nlist`): family, then address, display number, protocol name and data, each as a hex
  // length and hex bytes. Family ffff = FamilyWild with an empty number: it matches every display.
  const entry = `ffff 0000  0000  ${name.length.toString(16).padStart(4, '0')} ${name.toString('hex')} 0010 ${cookie}\n`;
  await new Promise<void>((resolve, reject) => {
    const child = execFile(xauth, ['-q', '-i', '-f', path, 'nmerge', '-'], { env: { PATH: '/usr/bin:/bin' }, timeout: 10_000, killSignal: 'SIGKILL' }, (err, _out, stderr) =>
      err ? reject(new Error(`xauth could not write the display's authority file: ${String(stderr).trim().slice(0, 300) || err.message}`)) : resolve(),
    );
    child.stdin?.end(entry);
  });
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    if (!fstatSync(fd).isFile()) throw new Error(`${path} is not a regular file`);
    fchmodSync(fd, 0o600);
    if (owner) fchownSync(fd, owner.uid, owner.gid);
  } finally {
    closeSync(fd);
  }
}
