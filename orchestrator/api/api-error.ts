import { ValidationError } from '../../shared/validate.js';
import { ODataError } from '../odata/index.js';
import { StoreError } from '../store/store.js';

/** An error the Web API answers with `status` and errorBody(); `code` is flowhost's reason. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string, code = 'InvalidRequest'): ApiError => new ApiError(400, code, message);
export const notFound = (message: string, code = 'NotFound'): ApiError => new ApiError(404, code, message);
export const conflict = (message: string, code = 'Conflict'): ApiError => new ApiError(409, code, message);
export const methodNotAllowed = (method: string, what: string, allow: readonly string[]): ApiError =>
  new ApiError(405, 'MethodNotAllowed', `${method} is not allowed on ${what} (allowed: ${allow.join(', ')})`, { allow: allow.join(', ') });

/**
 * Dataverse's hex error codes for the flowhost reasons that have one (Microsoft's pages: "Retrieve a table row"
 * and the Web API error codes list for 0x80040217 ObjectDoesNotExist and 0x80040237 DuplicateRecord, "Troubleshoot
 * Web API client errors" for 0x8006088a "Resource not found for the segment" and 0x0 for an unknown property). Where Microsoft shows an empty code
 * (412 on a version mismatch or an If-None-Match, a wrong method) or none, `code` stays flowhost's reason.
 */
const DATAVERSE_CODES: Readonly<Record<string, string>> = {
  NotFound: '0x80040217',
  Conflict: '0x80040237',
  UnknownEntitySet: '0x8006088a',
  UnknownAction: '0x8006088a',
  NoResource: '0x8006088a',
  // "Could not find a property named '…' on type 'Microsoft.Dynamics.CRM.…'" (same page).
  UnknownProperty: '0x0',
};

/** The `{"error": …}` body of `err`: Dataverse's code where it has one, flowhost's own reason beside it in `innererror`. */
export function errorBody(err: ApiError): { error: { code: string; message: string; innererror: { code: string } } } {
  const code = Object.hasOwn(DATAVERSE_CODES, err.code) ? (DATAVERSE_CODES[err.code] as string) : err.code;
  return { error: { code, message: err.message, innererror: { code: err.code } } };
}

const STORE_STATUS: Record<StoreError['code'], number> = { NotFound: 404, PreconditionFailed: 412, Conflict: 409 };

/**
 * What JSON.parse said, safe to answer with: V8 quotes the text around the fault (`Unexpected token 'h',
 * ..."password":hunter2"... is not valid JSON`), which may hold a password or a secret input, so such a message
 * becomes its position-free gist. Messages without quoted text (`… at position 46`) are kept as they are.
 */
export function jsonSyntaxMessage(err: unknown): string {
  if (err instanceof RangeError) return `nested too deeply (${err.message})`;
  const message = err instanceof Error ? err.message : String(err);
  if (!message.includes('"')) return message;
  return message.startsWith('Unexpected token') ? 'unexpected character' : 'not valid JSON';
}

/** Fastify's own request errors (body parsing and limits), by their code. */
const FASTIFY_ERRORS: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PayloadTooLarge', message: 'request body is larger than the limit' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UnsupportedMediaType', message: "request body must be JSON ('Content-Type: application/json')" },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'MalformedJson', message: "the body is empty but 'Content-Type' says application/json" },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'InvalidRequest', message: 'Content-Length does not match the body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'MalformedJson' },
};

/** Any thrown value → the ApiError to answer with; unknown errors become 500 (their details go to the log only). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ODataError) return new ApiError(400, err.code, err.message);
  if (err instanceof ValidationError) return new ApiError(400, 'InvalidRequest', err.message);
  if (err instanceof StoreError) return new ApiError(STORE_STATUS[err.code], err.code, err.message);
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown } | null;
  const known = typeof e?.code === 'string' ? FASTIFY_ERRORS[e.code] : undefined;
  if (known) return new ApiError(known.status, known.code, known.message ?? `malformed JSON: ${jsonSyntaxMessage(err)}`);
  if (err instanceof SyntaxError) return new ApiError(400, 'MalformedJson', `malformed JSON: ${jsonSyntaxMessage(err)}`);
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) return new ApiError(status, 'InvalidRequest', String(e?.message ?? 'invalid request'));
  return new ApiError(500, 'InternalError', 'internal error (see the orchestrator log)');
}
