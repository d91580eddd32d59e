import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeHmacSha256 as hmac } from '../../../node-shared/node-hmac.js';
import { CALLBACK_SIGNATURE_TOLERANCE_S, deriveCallbackKey, signCallback, verifyCallback } from '../../../shared/callback-signature.js';

const GROUP = 'group-callback-secret-0123456789';
const A = '0b9a3c52-52c4-4f4e-9d1a-0c6a9f4c1e11';
const B = '0b9a3c52-52c4-4f4e-9d1a-0c6a9f4c1e22';
const BODY = '{"flowsessionid":"x","statuscode":4,"outputs":{"n":"ü"}}';
const T = 1_900_000_000;
const keyOf = (signer: string, secret = GROUP) => deriveCallbackKey(secret, signer, hmac);
const verify = (header: string | undefined, body: string | Uint8Array = BODY, nowSeconds = T, secrets = [GROUP]) => verifyCallback(header, body, { secrets, nowSeconds, hmac });

describe('callback signature', () => {
  it('the documented construction: key = base64url(HMAC(secret, "flowhost-callback-key:<m>")), v1 = hex HMAC(key, "<t>.<m>.<body>")', () => {
    const key = createHmac('sha256', GROUP).update(`flowhost-callback-key:${A}`).digest('base64url');
    expect(keyOf(A)).toBe(key);
    expect(signCallback(key, A, BODY, T + 0.9, hmac)).toBe(`t=${T},m=${A},v1=${createHmac('sha256', key).update(`${T}.${A}.${BODY}`).digest('hex')}`);
  });

  it('verifies within the window either way, names the signer, and accepts the body as bytes', () => {
    const header = signCallback(keyOf(A), A, BODY, T, hmac);
    expect(verify(header)).toEqual({ ok: true, signer: A, t: T });
    expect(verify(header, Buffer.from(BODY))).toMatchObject({ ok: true });
    expect(verify(header, BODY, T + CALLBACK_SIGNATURE_TOLERANCE_S)).toMatchObject({ ok: true });
    expect(verify(header, BODY, T - CALLBACK_SIGNATURE_TOLERANCE_S)).toMatchObject({ ok: true });
    expect(verify(header, BODY, T + CALLBACK_SIGNATURE_TOLERANCE_S + 1)).toMatchObject({ ok: false, reason: expect.stringMatching(/window/) });
    expect(verify(header, BODY, T - CALLBACK_SIGNATURE_TOLERANCE_S - 1)).toMatchObject({ ok: false });
  });

  it("refuses another signer's name, a changed body or time, the old secret alone, and accepts it listed beside the new one", () => {
    const header = signCallback(keyOf(A), A, BODY, T, hmac);
    expect(verify(signCallback(keyOf(A), B, BODY, T, hmac))).toMatchObject({ ok: false });
    expect(verify(signCallback(keyOf(A), 'orchestrator', BODY, T, hmac))).toMatchObject({ ok: false });
    expect(verify(header.replace(A, B))).toMatchObject({ ok: false });
    expect(verify(header, BODY.replace('4', '8'))).toMatchObject({ ok: false });
    expect(verify(header.replace(`t=${T}`, `t=${T + 1}`))).toMatchObject({ ok: false });
    expect(verify(header, BODY, T, ['a-new-secret-0123456789'])).toMatchObject({ ok: false });
    expect(verify(header, BODY, T, ['a-new-secret-0123456789', GROUP])).toMatchObject({ ok: true, signer: A });
    expect(verify(signCallback(keyOf('orchestrator'), 'orchestrator', BODY, T, hmac))).toMatchObject({ ok: true, signer: 'orchestrator' });
  });

  it('refuses malformed headers: the old sha256= form, missing parts, a signer that is no machine id, never throws', () => {
    const legacy = `sha256=${createHmac('sha256', GROUP).update(BODY).digest('hex')}`;
    for (const h of [undefined, '', legacy, `t=${T},v1=${'0'.repeat(64)}`, `t=${T},m=nobody,v1=${'0'.repeat(64)}`, `t=-1,m=${A},v1=${'0'.repeat(64)}`, `t=${T},m=${A},v1=${'0'.repeat(63)}`]) {
      expect(verify(h)).toMatchObject({ ok: false });
    }
    fc.assert(fc.property(fc.string(), fc.string(), (h, b) => void verify(h, b)));
  });

  it('base64url of the derived key matches node for any secret and signer', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.uuid(), (secret, signer) => {
        expect(deriveCallbackKey(secret, signer, hmac)).toBe(createHmac('sha256', secret).update(`flowhost-callback-key:${signer}`).digest('base64url'));
      }),
    );
  });
});
