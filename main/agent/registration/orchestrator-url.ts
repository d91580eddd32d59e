import { classifyAddress } from '../../../shared/callback.js';

/**
 * The warning an agent logs once at start when it reaches its orchestrator unencrypted over the network (http:// or
 * ws:// to a host that is not loopback); undefined for https/wss and for loopback.
 */
export function plainTextWarning(orchestratorUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(orchestratorUrl);
  } catch {
    return undefined; // the connection reports a URL it cannot use
  }
  if (url.protocol !== 'http:' && url.protocol !== 'ws:') return undefined;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || classifyAddress(host) === 'loopback') return undefined;
  return (
    `the orchestrator ${url.host} is reached over plain ${url.protocol.slice(0, -1)}: the machine credential, the group password and ` +
    'every session (inputs included) cross the network unencrypted; give an https:// orchestrator URL (flowhost orchestrator --tls-cert/--tls-key)'
  );
}

/** Instances of one orchestrator (one database) an agent may be given, at most. */
export const MAX_ORCHESTRATOR_URLS = 8;

/** `http://h:1/x` → `http://h:1/x/` so URL resolution keeps a path prefix. */
export function normalizeBase(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/**
 * The instances of one orchestrator from `URL[,URL…]` (the config's, the flag's or the credential file's form), each
 * normalized, duplicates dropped, in the given order. Throws an Error that says which entry is wrong.
 */
export function parseOrchestratorList(text: string): string[] {
  const entries = text.split(',').map((e) => e.trim());
  if (entries.length > MAX_ORCHESTRATOR_URLS) throw new Error(`at most ${MAX_ORCHESTRATOR_URLS} orchestrator URLs may be given, not ${entries.length}`);
  const urls: string[] = [];
  for (const entry of entries) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new Error(`orchestrator URL ${JSON.stringify(entry.slice(0, 200))} is not a URL`);
    }
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) throw new Error(`orchestrator URL ${url.origin} must be http(s) or ws(s)`);
    if (url.username || url.password) throw new Error(`orchestrator URL ${url.host} must not carry a user or password`);
    const base = normalizeBase(entry);
    if (!urls.includes(base)) urls.push(base);
  }
  return urls;
}

/** The list's stored form (credentials.json). */
export function formatOrchestratorList(urls: readonly string[]): string {
  return urls.join(',');
}

/** True when the two lists name at least one instance in common: the same orchestrator. */
export function sameOrchestrator(a: readonly string[], b: readonly string[]): boolean {
  return a.some((url) => b.includes(url));
}

/** The first warning of `plainTextWarning` over every instance, if any. */
export function plainTextWarningOf(urls: readonly string[]): string | undefined {
  for (const url of urls) {
    const warning = plainTextWarning(url);
    if (warning) return warning;
  }
  return undefined;
}
