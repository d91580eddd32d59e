import { HttpExchangeError, type HttpAnswer } from '../../../node-shared/http-exchange.js';

/** Node's codes for a server certificate that does not chain to a trusted CA or does not name the host. */
const CERTIFICATE_REFUSAL = /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_\w+|ERR_TLS_CERT_ALTNAME_INVALID)$/;

/** No instance of the orchestrator could be reached; `reasons` says why for each, in order. */
export class InstancesUnreachable extends Error {
  override readonly name = 'InstancesUnreachable';
  constructor(readonly reasons: readonly string[]) {
    super(`cannot reach the orchestrator at ${reasons.join('; nor at ')}`);
  }
}

/**
 * `path` (relative to each base) sent with `send` to the orchestrator's instances in order, until one answers. Any
 * HTTP status is an answer (every instance shares one database, so it is the orchestrator's); an instance that
 * cannot be reached passes the request on to the next.
 */
export async function firstAnswer(instances: readonly string[], path: string, send: (url: string) => Promise<HttpAnswer>): Promise<{ res: HttpAnswer; url: string }> {
  const reasons: string[] = [];
  for (const base of instances) {
    const url = new URL(path, base).toString();
    try {
      return { res: await send(url), url };
    } catch (err) {
      const reason = err instanceof HttpExchangeError ? err.reason : (err as Error).message;
      const hint = CERTIFICATE_REFUSAL.test(reason) ? ' (its TLS certificate is not trusted: give the CA that signed it with --orchestrator-ca)' : '';
      reasons.push(`${url}: ${reason}${hint}`);
    }
  }
  throw new InstancesUnreachable(reasons);
}
