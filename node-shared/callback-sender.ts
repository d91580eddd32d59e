import { ErrorCode } from '../shared/error-codes.js';
import {
  CALLBACK_CONTENT_TYPE,
  CALLBACK_USER_AGENT,
  IDEMPOTENCY_KEY_HEADER,
  isRetryableCallbackStatus,
  RUN_ID_HEADER,
  SIGNATURE_HEADER,
  WORKFLOW_ID_HEADER,
} from '../shared/callback.js';
import { callbackRetryDelayMs, CALLBACK_RETRY_POLICY, type CallbackRetryPolicy } from '../shared/callback-retry.js';
import { signCallback } from '../shared/callback-signature.js';
import { postOnce, type SendResult } from './callback-post.js';
import { checkCallbackUrl, type CallbackUrlPolicyOptions } from './callback-url.js';
import { nodeHmacSha256 } from './node-hmac.js';

/** Who signs a callback (X-Flowhost-Signature): a machine id with its key, or `orchestrator` with the group's key. */
export interface CallbackSigning {
  readonly signer: string;
  readonly key: string;
}

/** One callback to try now: the body stored at completion, sent as it is, however often. */
export interface CallbackAttempt {
  readonly url: string;
  /** The body built once when the session ended; never rebuilt (the receiver dedupes by Idempotency-Key). */
  readonly body: string;
  /** The session id: the Idempotency-Key and x-ms-run-id. */
  readonly sessionId: string;
  /** The session's workflow: x-ms-workflow-id (left out when unknown). */
  readonly workflowId: string | undefined;
  /** Attempts made before this one. */
  readonly retrycount: number;
  /** When the callback gives up (ms since the epoch): its creation + ttl. */
  readonly deadlineMs: number;
  readonly ttlinseconds: number;
  /** The signer now (read at each attempt: a rotated key applies at once); none sends the callback unsigned. */
  readonly signing: CallbackSigning | undefined;
}

export interface CallbackOutcome {
  readonly status: 'succeeded' | 'retry' | 'failed';
  readonly nextAttemptAt?: Date;
  readonly error?: string;
  readonly httpStatus?: number;
}

export interface CallbackSenderOptions {
  readonly policy: CallbackUrlPolicyOptions;
  readonly now?: (() => Date) | undefined;
  /** In [0, 1): the backoff's jitter. Default Math.random. */
  readonly random?: (() => number) | undefined;
  /** Each part defaults to CALLBACK_RETRY_POLICY's. */
  readonly retry?: { readonly baseDelayMs?: number | undefined; readonly maxDelayMs?: number | undefined };
  readonly requestTimeoutMs?: number | undefined;
  /** The time a signature carries (ms); default `now`. */
  readonly signingNowMs?: (() => number) | undefined;
  /** Replaces the HTTP POST (tests of the schedule); default a pinned node:http(s) request. */
  readonly send?: typeof postOnce | undefined;
}

/**
 * The headers of every attempt but the signature: Dataverse's (User-Agent, Content-Type, x-ms-workflow-id, x-ms-run-id)
 * and the Idempotency-Key. They derive from the session alone, so a re-send, by the agent or by the orchestrator,
 * carries the same ones with the same body.
 */
export function callbackHeaders(a: Pick<CallbackAttempt, 'sessionId' | 'workflowId'>): Record<string, string> {
  return {
    'Content-Type': CALLBACK_CONTENT_TYPE,
    'User-Agent': CALLBACK_USER_AGENT,
    ...(a.workflowId !== undefined ? { [WORKFLOW_ID_HEADER]: a.workflowId } : {}),
    [RUN_ID_HEADER]: a.sessionId,
    [IDEMPOTENCY_KEY_HEADER]: a.sessionId,
  };
}

/**
 * The one callback sender of both programs: checks the URL (shared/callback-policy.ts), POSTs the stored body to the
 * checked address, signed at this attempt, and says what comes next by the one retry policy (shared/callback-retry.ts).
 * Where the attempt is recorded (the agent's outbox, the orchestrator's backgroundoperation) is the caller's.
 */
export class CallbackSender {
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly retry: CallbackRetryPolicy;
  private readonly send: typeof postOnce;

  constructor(private readonly o: CallbackSenderOptions) {
    this.now = o.now ?? (() => new Date());
    this.random = o.random ?? Math.random;
    this.retry = { baseDelayMs: o.retry?.baseDelayMs ?? CALLBACK_RETRY_POLICY.baseDelayMs, maxDelayMs: o.retry?.maxDelayMs ?? CALLBACK_RETRY_POLICY.maxDelayMs };
    this.send = o.send ?? postOnce;
  }

  async attempt(a: CallbackAttempt): Promise<CallbackOutcome> {
    if (this.now().getTime() >= a.deadlineMs) {
      return { status: 'failed', error: `${ErrorCode.CallbackFailed}: ttl of ${a.ttlinseconds} s expired after ${a.retrycount} attempts` };
    }
    const policy = await checkCallbackUrl(a.url, this.o.policy);
    if (!policy.ok && policy.refused) return { status: 'failed', error: `${ErrorCode.CallbackUrlRefused}: ${policy.reason}` };
    let result: SendResult;
    if (policy.ok) {
      const body = Buffer.from(a.body, 'utf8');
      const headers = callbackHeaders(a);
      // Signed at each attempt: a retry carries a fresh time (inside the receiver's window) and the current key.
      if (a.signing) headers[SIGNATURE_HEADER] = signCallback(a.signing.key, a.signing.signer, body, (this.o.signingNowMs?.() ?? this.now().getTime()) / 1000, nodeHmacSha256);
      result = await this.send(policy.target, body, headers, this.o.requestTimeoutMs ?? 30_000);
    } else {
      result = { kind: 'network-error', error: policy.reason };
    }
    return this.classify(result, a);
  }

  private classify(result: SendResult, a: CallbackAttempt): CallbackOutcome {
    if (result.kind === 'response') {
      const { status } = result;
      if (status >= 200 && status < 300) return { status: 'succeeded', httpStatus: status };
      if (status >= 300 && status < 400) {
        return { status: 'failed', httpStatus: status, error: `${ErrorCode.CallbackFailed}: HTTP ${status} redirect not followed (to ${result.location ?? '?'})` };
      }
      if (!isRetryableCallbackStatus(status)) return { status: 'failed', httpStatus: status, error: `${ErrorCode.CallbackFailed}: HTTP ${status}` };
    }
    const now = this.now().getTime();
    const error = result.kind === 'response' ? `HTTP ${result.status}` : result.error;
    const next = now + callbackRetryDelayMs(a.retrycount, result.kind === 'response' ? result.retryAfter : undefined, now, this.random, this.retry);
    const httpStatus = result.kind === 'response' ? { httpStatus: result.status } : {};
    if (next > a.deadlineMs) {
      return { status: 'failed', ...httpStatus, error: `${ErrorCode.CallbackFailed}: ${error}; ttl of ${a.ttlinseconds} s ends before the next attempt` };
    }
    return { status: 'retry', ...httpStatus, nextAttemptAt: new Date(next), error };
  }
}
