import ipaddr from 'ipaddr.js';

/**
 * Whose `X-Forwarded-For` decides a client's address (the address every per-address limit counts): nobody's
 * (false, the default: the TCP peer is the client), or peers at the listed proxy addresses/CIDRs (proxy-addr's
 * names `loopback`, `linklocal`, `uniquelocal` included).
 */
export type TrustProxy = false | readonly string[];

/** The environment twin of `--trust-proxy`. */
export const TRUST_PROXY_ENV = 'FLOWHOST_TRUST_PROXY';

const NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * `--trust-proxy` / FLOWHOST_TRUST_PROXY: bare (or `true`) = a proxy on this host (`loopback`); `false`/`0`/empty =
 * none; or a comma list of proxy addresses/CIDRs. Trusting any peer (or a hop count, which cannot tell the proxy
 * from a client that connects directly) is not offered: a client could write its own X-Forwarded-For and choose
 * the address it is counted under.
 */
export function parseTrustProxy(value: string | boolean | undefined): TrustProxy {
  if (value === undefined || value === false) return false;
  if (value === true) return ['loopback'];
  const text = value.trim().toLowerCase();
  if (['', 'false', 'off', 'no', '0'].includes(text)) return false;
  if (['true', 'on', 'yes', '1'].includes(text)) return ['loopback'];
  const list = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = list.find((s) => !NAMES.has(s) && !isAddressOrCidr(s));
  if (bad !== undefined) throw new TrustProxyError(`--trust-proxy takes proxy addresses/CIDRs (or loopback, linklocal, uniquelocal), got '${bad.slice(0, 100)}'`);
  return list;
}

/** Dotted-quad IPv4 or IPv6, with or without a prefix length (ipaddr.js alone would take `2` for 0.0.0.2). */
const isAddressOrCidr = (s: string): boolean =>
  ipaddr.IPv4.isValidFourPartDecimal(s) || ipaddr.IPv4.isValidCIDRFourPartDecimal(s) || ipaddr.IPv6.isValid(s) || ipaddr.IPv6.isValidCIDR(s);

export class TrustProxyError extends Error {
  override readonly name = 'TrustProxyError';
}

/** fastify's `trustProxy` for the setting. */
export const fastifyTrustProxy = (t: TrustProxy): false | string[] => (t === false ? false : [...t]);
