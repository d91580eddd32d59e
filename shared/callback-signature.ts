/**
 * The `X-Flowhost-Signature` of completion callbacks (docs/api.md, "Callbacks"):
 *
 *   X-Flowhost-Signature: t=<unix seconds>,m=<signer>,v1=<hex HMAC-SHA256(signer key, "<t>.<signer>.<body>")>
 *
 * The signer is the id of the machine that sent the callback, or `orchestrator` for the callbacks the orchestrator
 * sends itself (TriggerDesktopFlowRunCallback, sessions it ended). A signer's key is derived from the group's
 * `callbacksecret`: key = base64url(HMAC-SHA256(callbacksecret, "flowhost-callback-key:<signer>")). A machine holds
 * only its own key, so it cannot sign as another machine or as the orchestrator; a receiver that knows the group's
 * secret derives the key of whichever signer the header names. The HMAC itself is the platform's (injected: shared/
 * has no crypto of its own).
 */

/** HMAC-SHA256 of the concatenated parts (strings as UTF-8) with a UTF-8 key: node's createHmac, WebCrypto … */
export type HmacSha256 = (key: string, parts: readonly (string | Uint8Array)[]) => Uint8Array;

/** Signer name of the callbacks the orchestrator sends. */
export const ORCHESTRATOR_SIGNER = 'orchestrator';
/** How far a callback's `t` may be from the receiver's clock, either way (seconds). */
export const CALLBACK_SIGNATURE_TOLERANCE_S = 300;

const SIGNER = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|orchestrator)$/;
const HEADER = /^t=(\d{1,12}),m=([0-9a-z-]{1,36}),v1=([0-9a-f]{64})$/;

export function deriveCallbackKey(groupSecret: string, signer: string, hmac: HmacSha256): string {
  return base64url(hmac(groupSecret, [`flowhost-callback-key:${signer.toLowerCase()}`]));
}

/** The header value for `body` sent by `signer` (holding `key`, its derived key) at `unixSeconds`. */
export function signCallback(key: string, signer: string, body: string | Uint8Array, unixSeconds: number, hmac: HmacSha256): string {
  const t = Math.floor(unixSeconds);
  const m = signer.toLowerCase();
  return `t=${t},m=${m},v1=${hex(hmac(key, [`${t}.${m}.`, body]))}`;
}

export type CallbackVerification = { readonly ok: true; readonly signer: string; readonly t: number } | { readonly ok: false; readonly reason: string };

export interface VerifyCallbackOptions {
  /** The group's callback secret; during a rotation also the previous one (each is tried). */
  readonly secrets: readonly string[];
  /** The receiver's clock, unix seconds. */
  readonly nowSeconds: number;
  readonly hmac: HmacSha256;
  /** Default CALLBACK_SIGNATURE_TOLERANCE_S. */
  readonly toleranceS?: number;
}

/**
 * Checks a callback's signature header against the exact body bytes received: well formed, `t` within the window
 * of the receiver's clock (a captured callback replays only inside it; dedupe those by Idempotency-Key), and the
 * HMAC made with the named signer's key. On success says who signed (a machine id or `orchestrator`).
 */
export function verifyCallback(header: string | undefined, body: string | Uint8Array, o: VerifyCallbackOptions): CallbackVerification {
  const m = HEADER.exec(header?.trim() ?? '');
  if (!m) return { ok: false, reason: 'no valid X-Flowhost-Signature (t=…,m=…,v1=…)' };
  const [, tText, signer, given] = m as unknown as [string, string, string, string];
  if (!SIGNER.test(signer)) return { ok: false, reason: 'the signer is neither a machine id nor the orchestrator' };
  const t = Number(tText);
  const tolerance = o.toleranceS ?? CALLBACK_SIGNATURE_TOLERANCE_S;
  if (Math.abs(o.nowSeconds - t) > tolerance) return { ok: false, reason: `signed at ${t}, outside the ${tolerance} s window around ${Math.floor(o.nowSeconds)}` };
  for (const secret of o.secrets) {
    const expected = signCallback(deriveCallbackKey(secret, signer, o.hmac), signer, body, t, o.hmac);
    if (sameText(expected.slice(expected.lastIndexOf('=') + 1), given)) return { ok: true, signer, t };
  }
  return { ok: false, reason: `the signature does not match signer ${signer}` };
}

/** Compares in time that depends only on the length. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function base64url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = i + 2 < bytes.length ? 4 : i + 1 < bytes.length ? 3 : 2;
    for (let k = 0; k < chars; k++) out += B64URL[(n >> (18 - 6 * k)) & 63];
  }
  return out;
}
