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
  const groups = parseIPv6(address.toLowerCase());
  if (!groups) return 'invalid';
  const embedded = embeddedIPv4(groups);
  if (embedded) return classifyIPv4(embedded);
  const [g0] = groups as [number, ...number[]];
  if (groups.every((g) => g === 0)) return 'unspecified';
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return 'loopback';
  if (g0 === 0xfd00 && groups[1] === 0x0ec2 && groups.slice(2, 7).every((g) => g === 0) && groups[7] === 0x254) return 'metadata';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xfe00) === 0xfc00) return 'private';
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  return 'public';
}

/** The eight 16-bit groups of an IPv6 address (`::` and a dotted IPv4 tail expanded), or undefined. */
function parseIPv6(text: string): number[] | undefined {
  if (!/^[0-9a-f:.]+$/.test(text) || !text.includes(':')) return undefined;
  let tail: number[] = [];
  let head = text;
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = parseIPv4(dotted[2]!);
    if (!v4) return undefined;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    head = dotted[1]!.endsWith('::') ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const part = (h: string) => (h === '' ? [] : h.split(':'));
  const left = part(halves[0]!);
  const right = halves.length === 2 ? part(halves[1]!) : [];
  if ([...left, ...right].some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
  const known = left.length + right.length + tail.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return undefined;
  const zeros: number[] = new Array<number>(8 - known).fill(0);
  return [...left.map((g) => parseInt(g, 16)), ...zeros, ...right.map((g) => parseInt(g, 16)), ...tail];
}

/** IPv4 inside IPv6: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d), in any notation. */
function embeddedIPv4(g: number[]): [number, number, number, number] | undefined {
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  const mapped = zeroTo(5) && g[5] === 0xffff;
  const compatible = zeroTo(6) && (g[6] !== 0 || (g[7] ?? 0) > 1);
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0);
  if (!mapped && !compatible && !nat64) return undefined;
  const hi = g[6]!;
  const lo = g[7]!;
  return [hi >> 8, hi & 255, lo >> 8, lo & 255];
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
