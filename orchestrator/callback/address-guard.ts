import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { classifyAddress, METADATA_HOSTNAMES } from '../../shared/callback.js';

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * May a callback go to `text`? https only (http when the host is allow-listed); never link-local, metadata,
 * unspecified or multicast addresses; loopback and private ones only for allow-listed hosts.
 * DNS names are resolved first and every address they resolve to must pass.
 */
export async function checkCallbackUrl(text: string, allowHosts: ReadonlySet<string>): Promise<UrlCheck> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'callback URL is not a valid URL' };
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const allowed = allowHosts.has(host) || allowHosts.has(url.host.toLowerCase());
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowed)) return { ok: false, reason: `callback URL must be https (${host} is not allow-listed for http)` };
  if (METADATA_HOSTNAMES.has(host)) return { ok: false, reason: `callback host ${host} is a metadata service` };
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch (err) {
    return { ok: false, reason: `callback host ${host} does not resolve: ${(err as Error).message}` };
  }
  for (const address of addresses) {
    const cls = classifyAddress(address);
    if (cls === 'public') continue;
    if ((cls === 'loopback' || cls === 'private') && allowed) continue;
    return { ok: false, reason: `callback host ${host} resolves to a ${cls} address (${address})` };
  }
  return { ok: true, url };
}
