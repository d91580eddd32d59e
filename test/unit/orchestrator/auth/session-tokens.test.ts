import { describe, expect, it } from 'vitest';
import { hashToken, verifySecret } from '../../../../orchestrator/auth/secrets.js';
import { mintSessionToken, sessionOfToken } from '../../../../orchestrator/auth/session-tokens.js';
import { SecretRegistry } from '../../../../main/agent/logging/logger.js';
import { sessionMasker } from '../../../../shared/secret-mask.js';

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('session tokens', () => {
  it('name their session and are kept as a SHA-256 hash that verifies only the token itself', () => {
    const { token, hash } = mintSessionToken(ID);
    expect(sessionOfToken(token)).toBe(ID);
    expect(hash).toBe(hashToken(token));
    expect(hash).not.toContain(token.split('.')[2]);
    expect(verifySecret(token, hash)).toBe(true);
    expect(verifySecret(mintSessionToken(ID).token, hash)).toBe(false);
  });

  it.each([
    ['an admin-like token', 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'],
    ['another prefix', `fhs2.${ID}.${'a'.repeat(43)}`],
    ['no GUID', `fhs1.not-a-guid.${'a'.repeat(43)}`],
    ['a short secret', `fhs1.${ID}.abc`],
    ['more parts', `fhs1.${ID}.${'a'.repeat(43)}.x`],
  ])('are not read from %s', (_what, text) => {
    expect(sessionOfToken(text)).toBeUndefined();
  });

  it("are masked by their shape in a session's log and in the agent's own log, with nothing registered", () => {
    const { token } = mintSessionToken(ID);
    expect(sessionMasker('{}', [])(`token=${token} ok`)).toBe('token=*** ok');
    expect(new SecretRegistry().mask(`sent ${JSON.stringify({ token })}`)).toBe('sent {"token":"***"}');
    expect(sessionMasker('{}', [])(`fhs1.${ID} is a session`)).toBe(`fhs1.${ID} is a session`);
  });
});
