import { classifyAddress, METADATA_HOSTNAMES } from './callback.js';

/** One address a host name resolves to (the shape of node:dns lookup's `all` results). */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** The parts of a WHATWG URL the policy reads (shared/ has no URL global: the caller's platform parses). */
export interface CallbackUrlParts {
  readonly protocol: string;
  readonly username: string;
  readonly password: string;
  readonly hostname: string;
  readonly host: string;
}

/** A URL that passed the policy, with the address the connection must use (pinned against DNS rebinding). */
export interface CallbackTarget<U extends CallbackUrlParts = CallbackUrlParts> {
  readonly url: U;
  /** Host name without brackets, lower case. */
  readonly hostname: string;
  readonly address: string;
  readonly family: 4 | 6;
}

export type PolicyResult<U extends CallbackUrlParts = CallbackUrlParts> =
  | { readonly ok: true; readonly target: CallbackTarget<U> }
  /** Refused for good: the delivery fails with CallbackUrlRefused and no request is made. */
  | { readonly ok: false; readonly refused: true; readonly reason: string }
  /** The name did not resolve now (DNS down?): a transient failure, retried like a network error. */
  | { readonly ok: false; readonly refused: false; readonly reason: string };

export interface CallbackUrlPolicyOptions<U extends CallbackUrlParts = CallbackUrlParts> {
  /** Hosts (names, literal addresses, or host:port) allowed over http and on loopback/private addresses. */
  readonly allow: readonly string[];
  /** Resolves every address of a name (node:dns lookup with `all: true` in both programs; a table in tests). */
  readonly lookupAll: (hostname: string) => Promise<readonly ResolvedAddress[]>;
  /** How this program's user allow-lists a host, named in refusals (e.g. `--callback-allow`). */
  readonly allowHow?: string;
  /** The platform's URL parser, `(raw) => new URL(raw)`; it throws on an invalid URL. */
  readonly parseUrl: (raw: string) => U;
}

const ALWAYS_REFUSED = new Set(['link-local', 'metadata', 'unspecified', 'multicast', 'invalid']);

const normalizeHost = (host: string): string => host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');

/**
 * Checks a callback URL and resolves it to the one address the request will be pinned to: https only (http for
 * allow-listed hosts), never link-local, metadata, unspecified or multicast addresses, loopback and private ones only
 * for allow-listed hosts, and every address the name resolves to must pass. The agent and the orchestrator both
 * deliver callbacks through it.
 */
export async function checkCallbackUrl<U extends CallbackUrlParts>(raw: string, options: CallbackUrlPolicyOptions<U>): Promise<PolicyResult<U>> {
  const refuse = (reason: string): PolicyResult<U> => ({ ok: false, refused: true, reason });
  let url: U;
  try {
    url = options.parseUrl(raw);
  } catch {
    return refuse('not a valid absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refuse(`scheme ${url.protocol} is not allowed (https only)`);
  if (url.username || url.password) return refuse('credentials in the URL (user:password@) are not allowed');
  const hostname = normalizeHost(url.hostname);
  if (METADATA_HOSTNAMES.has(hostname)) return refuse(`${hostname} is a cloud metadata host`);
  const allowed = options.allow.some((h) => normalizeHost(h) === hostname || h.toLowerCase() === url.host.toLowerCase());
  if (url.protocol === 'http:' && !allowed) return refuse(`http is allowed only for allow-listed hosts (${hostname} is not); use https`);

  let addresses: readonly ResolvedAddress[];
  if (classifyAddress(hostname) !== 'invalid') {
    addresses = [{ address: hostname, family: hostname.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = await options.lookupAll(hostname);
    } catch (err) {
      return { ok: false, refused: false, reason: `cannot resolve ${hostname}: ${(err as { code?: string }).code ?? (err as Error).message}` };
    }
    if (addresses.length === 0) return { ok: false, refused: false, reason: `${hostname} resolved to no address` };
  }
  for (const { address } of addresses) {
    const kind = classifyAddress(address);
    if (ALWAYS_REFUSED.has(kind)) return refuse(`${hostname} resolves to ${address}, a ${kind} address`);
    if ((kind === 'loopback' || kind === 'private') && !allowed) {
      return refuse(`${hostname} resolves to ${address}, a ${kind} address; allow-list the host${options.allowHow ? ` (${options.allowHow})` : ''} to permit it`);
    }
  }
  const first = addresses[0] as ResolvedAddress;
  return { ok: true, target: { url, hostname, address: first.address, family: first.family === 6 ? 6 : 4 } };
}
