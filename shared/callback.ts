import { Type, type Static } from '@sinclair/typebox';

/** Headers of a completion callback. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const SIGNATURE_HEADER = 'X-Flowhost-Signature';
/** Callback ttl default (24 h) and the statuses that are retried. */
export const CALLBACK_TTL_S = 86_400;
export const isRetryableCallbackStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/** Body POSTed to a session's `callbackurl` when it ends. */
export const CallbackBody = Type.Object(
  {
    flowsessionid: Type.String({ format: 'uuid' }),
    statuscode: Type.Integer(),
    statecode: Type.Integer(),
    startedon: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    completedon: Type.String({ format: 'date-time' }),
    outputs: Type.Optional(Type.Unknown()),
    errorcode: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type CallbackBody = Static<typeof CallbackBody>;

export function buildCallbackBody(session: {
  flowsessionid: string;
  statuscode: number;
  statecode: number;
  startedon?: string | null;
  completedon: string;
  outputs?: string | null;
  errorcode?: string | null;
}): CallbackBody {
  const body: CallbackBody = {
    flowsessionid: session.flowsessionid,
    statuscode: session.statuscode,
    statecode: session.statecode,
    startedon: session.startedon ?? null,
    completedon: session.completedon,
  };
  if (session.outputs) body.outputs = JSON.parse(session.outputs) as unknown;
  if (session.errorcode) body.errorcode = session.errorcode;
  return body;
}

/**
 * Classifies a literal IP address (v4 or v6, no brackets). Callback URLs must never reach link-local,
 * cloud-metadata, unspecified or multicast addresses; loopback and private ranges only when allow-listed.
 */
export type AddressClass = 'public' | 'private' | 'loopback' | 'link-local' | 'metadata' | 'unspecified' | 'multicast' | 'invalid';

export function classifyAddress(address: string): AddressClass {
  const v4 = parseIPv4(address);
  if (v4) return classifyIPv4(v4);
  const lower = address.toLowerCase();
  if (!/^[0-9a-f:.]+$/.test(lower) || !lower.includes(':')) return 'invalid';
  const mapped = /^(?:0*:)*:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower) ?? /^::(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped?.[1]) {
    const inner = parseIPv4(mapped[1]);
    return inner ? classifyIPv4(inner) : 'invalid';
  }
  if (lower === '::') return 'unspecified';
  if (lower === '::1') return 'loopback';
  if (lower.startsWith('fd00:ec2::254')) return 'metadata';
  if (/^fe[89ab][0-9a-f]?:/.test(lower)) return 'link-local';
  if (/^f[cd][0-9a-f]{0,2}:/.test(lower)) return 'private';
  if (lower.startsWith('ff')) return 'multicast';
  return 'public';
}

function parseIPv4(text: string): [number, number, number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number) as [number, number, number, number];
  return parts.every((p) => p <= 255) ? parts : undefined;
}

function classifyIPv4([a, b, c, d]: [number, number, number, number]): AddressClass {
  if (a === 169 && b === 254 && c === 169 && d === 254) return 'metadata';
  if (a === 100 && b === 100 && c === 100 && d === 200) return 'metadata'; // Alibaba Cloud
  if (a === 169 && b === 254) return 'link-local';
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
  if (a >= 224) return 'multicast';
  return 'public';
}

/** Host names that always mean a metadata service, whatever they resolve to. */
export const METADATA_HOSTNAMES: ReadonlySet<string> = new Set(['metadata.google.internal', 'metadata', 'instance-data', 'instance-data.ec2.internal']);
