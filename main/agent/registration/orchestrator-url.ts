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
