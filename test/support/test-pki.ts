import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `openssl` from the OS (`.ci/run` installs it): it makes the test certificates. */
export const hasOpenssl = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

/** A throw-away CA and a server certificate it signed for 127.0.0.1 and localhost (P-256, valid two days). */
export interface TestPki {
  readonly caFile: string;
  readonly caPem: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** A second CA that signed nothing here: a client trusting only it must refuse the server. */
  readonly otherCaFile: string;
}

/** Makes both CAs, the server key and its certificate with openssl in `dir`. */
export function makeTestPki(dir: string): TestPki {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const ca = (name: string) =>
    openssl('req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  ca('flowhost-test-ca');
  ca('flowhost-other-ca');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'flowhost-test-ca.pem', '-CAkey', 'flowhost-test-ca.key', '-set_serial', '1', '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem');
  const caFile = join(dir, 'flowhost-test-ca.pem');
  return { caFile, caPem: readFileSync(caFile, 'utf8'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key'), otherCaFile: join(dir, 'flowhost-other-ca.pem') };
}
