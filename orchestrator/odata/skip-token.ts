import { Buffer } from 'node:buffer';
import { ODataError, ODataErrorCode } from './odata-error.js';

/** Largest offset a skip token carries. */
const MAX_OFFSET = Number.MAX_SAFE_INTEGER;
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
const PAYLOAD = /^o:(0|[1-9]\d{0,15})$/;

/** Opaque `$skiptoken` of `@odata.nextLink` for the page starting at `offset`. */
export function encodeSkipToken(offset: number): string {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`skip token offset must be a non-negative safe integer, got ${offset}`);
  return Buffer.from(`o:${offset}`, 'utf8').toString('base64url');
}

/** The offset inside a `$skiptoken`; anything not made by `encodeSkipToken` is an ODataError. */
export function decodeSkipToken(token: string): number {
  const bad = (): ODataError => new ODataError(ODataErrorCode.InvalidSkipToken, `The $skiptoken '${token.slice(0, 80)}' is not valid; use the @odata.nextLink of the previous page.`);
  if (!TOKEN.test(token)) throw bad();
  const match = PAYLOAD.exec(Buffer.from(token, 'base64url').toString('utf8'));
  const offset = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(offset) || offset > MAX_OFFSET) throw bad();
  return offset;
}
