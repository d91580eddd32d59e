import { Type, type Static } from '@sinclair/typebox';
import ipaddr from 'ipaddr.js';

/** Headers of a completion callback: flowhost's own two. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const SIGNATURE_HEADER = 'X-Flowhost-Signature';
/** …and those Dataverse sends (Microsoft's "Work with desktop flows using code", "Receive notification on script completion"). */
export const WORKFLOW_ID_HEADER = 'x-ms-workflow-id';
export const RUN_ID_HEADER = 'x-ms-run-id';
export const CALLBACK_USER_AGENT = 'EnterpriseConnectors/1.0';
export const CALLBACK_CONTENT_TYPE = 'application/json; charset=utf-8';
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
 * Classifies a literal IP address (v4 in four-part decimal, or v6; no brackets). Callback URLs must never reach
 * link-local, cloud-metadata, unspecified or multicast addresses; loopback and private ranges only when allow-listed.
 * An IPv6 address that carries an IPv4 address the network delivers to (mapped, SIIT, NAT64, 6to4, Teredo,
 * compatible) is classified by that IPv4 address.
 */
export type AddressClass = 'public' | 'private' | 'loopback' | 'link-local' | 'metadata' | 'unspecified' | 'multicast' | 'invalid';

type Octets = readonly [number, number, number, number];

export function classifyAddress(address: string): AddressClass {
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) return classifyIPv4(ipaddr.IPv4.parse(address).octets as unknown as Octets);
  if (!address.includes(':') || address.includes('%') || !ipaddr.IPv6.isValid(address)) return 'invalid';
  const v6 = ipaddr.IPv6.parse(address);
  const range = v6.range();
  const embedded = embeddedIPv4(v6.parts, range);
  if (embedded) {
    const kind = classifyIPv4(embedded);
    // The local-use NAT64 prefix (RFC 8215) never leaves the site, whatever address it carries.
    return kind === 'public' && range === 'rfc6052' && v6.parts[2] === 1 ? 'private' : kind;
  }
  const p = v6.parts;
  if (p[0] === 0xfd00 && p[1] === 0x0ec2 && p.slice(2, 7).every((g) => g === 0) && p[7] === 0x254) return 'metadata';
  switch (range) {
    case 'unspecified':
      return 'unspecified';
    case 'loopback':
      return 'loopback';
    case 'linkLocal':
      return 'link-local';
    case 'multicast':
      return 'multicast';
    case 'uniqueLocal':
      return 'private';
    default:
      // fec0::/10, site-local (deprecated, still routed inside a site).
      return (p[0]! & 0xffc0) === 0xfec0 ? 'private' : 'public';
  }
}

/** The IPv4 address an IPv6 address carries, by its range; undefined when it carries none. */
function embeddedIPv4(p: readonly number[], range: string): Octets | undefined {
  const at = (hi: number, lo: number): Octets => [hi >> 8, hi & 255, lo >> 8, lo & 255];
  switch (range) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d (SIIT)
    case 'rfc6052': // 64:ff9b::a.b.c.d (NAT64), 64:ff9b:1::/48 local use (/96 form)
      return at(p[6]!, p[7]!);
    case '6to4': // 2002:AABB:CCDD::/48
      return at(p[1]!, p[2]!);
    case 'teredo': // 2001:0:<server>:<flags>:<port>:<client, inverted>
      return at(~p[6]! & 0xffff, ~p[7]! & 0xffff);
    default:
      // ::a.b.c.d, IPv4-compatible (deprecated); ::1 and :: are not.
      return p.slice(0, 6).every((g) => g === 0) && (p[6] !== 0 || p[7]! > 1) ? at(p[6]!, p[7]!) : undefined;
  }
}

function classifyIPv4([a, b, c, d]: Octets): AddressClass {
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
