import { describe, expect, it } from 'vitest';
import { hashSecret, hashToken, newSecret, verifySecret, verifySecretAsync } from '../../../../orchestrator/auth/secrets.js';

describe('secrets at rest', () => {
  it('keeps a generated token as sha256$…: the token verifies, another does not, and the token is not in the hash', async () => {
    const token = newSecret();
    const stored = hashToken(token);
    expect(stored).toMatch(/^sha256\$[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain(token);
    expect(verifySecret(token, stored)).toBe(true);
    expect(await verifySecretAsync(token, stored)).toBe(true);
    expect(verifySecret(newSecret(), stored)).toBe(false);
    expect(await verifySecretAsync(`${token}x`, stored)).toBe(false);
  });

  it('keeps a chosen password as salted scrypt, and still verifies credentials stored that way before', async () => {
    const stored = hashSecret('group-password-1');
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(hashSecret('group-password-1')).not.toBe(stored);
    expect(verifySecret('group-password-1', stored)).toBe(true);
    expect(await verifySecretAsync('group-password-1', stored)).toBe(true);
    expect(await verifySecretAsync('group-password-2', stored)).toBe(false);
  });

  it('refuses every secret against a missing or malformed hash', async () => {
    for (const stored of [null, undefined, '', 'sha256', 'sha256$', 'md5$abc', 'scrypt$1$2$3', 'plain-text']) {
      expect(verifySecret('anything', stored), String(stored)).toBe(false);
      expect(await verifySecretAsync('anything', stored), String(stored)).toBe(false);
    }
  });
});
