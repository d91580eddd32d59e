import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCredentials, type Credentials } from '../../../../main/agent/registration/credentials.js';
import type { SecretProtector } from '../../../../main/agent/registration/secret-protector.js';
import { loadCredentials, protectCredentials, protectedFileOf } from '../../../../main/electron/credential-protection.js';

/** A real encrypting protector (AES-256-GCM with a key held in memory), standing in for safeStorage. */
function aesProtector(key = randomBytes(32), available = true): SecretProtector {
  return {
    kind: 'aes-test',
    isAvailable: () => available,
    protect(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    unprotect(data) {
      const buf = Buffer.from(data);
      const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12));
      d.setAuthTag(buf.subarray(12, 28));
      return Buffer.concat([d.update(buf.subarray(28)), d.final()]).toString('utf8');
    },
  };
}

const creds: Credentials = {
  flowmachineid: '00000000-0000-4000-8000-000000000001',
  credential: 'c'.repeat(40),
  callbackSecret: 's'.repeat(32),
  orchestrator: 'http://127.0.0.1:1',
  group: 'g',
};

function files() {
  const dir = mkdtempSync(join(tmpdir(), 'flowhost-cred-protect-'));
  const plain = join(dir, 'credentials.json');
  return { plain, protected: protectedFileOf(plain) };
}

describe('credential protection', () => {
  it('moves the plain credential into an encrypted 0600 file and reads it back', () => {
    const f = files();
    const protector = aesProtector();
    writeCredentials(f.plain, creds);
    expect(protectCredentials(f, creds, protector)).toBe(true);
    expect(existsSync(f.plain)).toBe(false);
    if (process.platform !== 'win32') expect(statSync(f.protected).mode & 0o777).toBe(0o600);
    expect(readFileSync(f.protected).toString('latin1')).not.toContain(creds.credential);
    expect(loadCredentials(f, protector)).toEqual({ credentials: creds, protected: true });
  });

  it('keeps the plain file when the protector cannot encrypt here', () => {
    const f = files();
    writeCredentials(f.plain, creds);
    expect(protectCredentials(f, creds, aesProtector(undefined, false))).toBe(false);
    expect(existsSync(f.protected)).toBe(false);
    expect(loadCredentials(f, aesProtector())).toEqual({ credentials: creds, protected: false });
  });

  it('refuses a file another key encrypted, and says how to recover', () => {
    const f = files();
    protectCredentials(f, creds, aesProtector());
    expect(() => loadCredentials(f, aesProtector())).toThrow(/cannot decrypt .* with aes-test .*Remove it to register again/);
  });

  it('names the protected file when what it decrypts to is not valid credentials', () => {
    const f = files();
    const protector = aesProtector();
    writeFileSync(f.protected, protector.protect(JSON.stringify({ ...creds, credential: 'short' })));
    expect(() => loadCredentials(f, protector)).toThrow(/protected credentials file .*credentials\.protected is invalid \(credential must NOT have fewer than 32 characters\)/);
    writeFileSync(f.protected, protector.protect('{'));
    expect(() => loadCredentials(f, protector)).toThrow(/protected credentials file .* is unreadable/);
  });

  it('returns undefined when nothing is stored', () => {
    expect(loadCredentials(files(), aesProtector())).toBeUndefined();
  });
});
