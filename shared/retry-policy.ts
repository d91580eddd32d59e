import { Type, type Static } from '@sinclair/typebox';
import { ErrorCode } from './error-codes.js';
import { SessionStatus } from './option-sets.js';
import { validator, ValidationError } from './validate.js';

/**
 * A session's retry policy (flowhost's extension): on a workflow (`workflow.retrypolicy`, JSON) and per RunDesktopFlow
 * call (`retryPolicy`, which wins). Each attempt is its own flowsession; the rules here are pure and used where an
 * attempt ends (orchestrator/queue/session-retry.ts).
 */

export const MAX_RETRY_ATTEMPTS = 10;
export const MAX_RETRY_BACKOFF_S = 86_400;
const MAX_ON = 20;

/**
 * What an ending must be to be tried again: `AgentLost` (its agent lost or restarted under it), `TimedOut` (status
 * TimedOut), `Failed` (status Failed, any cause), `ExitCode:<n>` (the flow exited with n), `ErrorCode:<code>`.
 */
const RetryOn = Type.String({ pattern: '^(AgentLost|TimedOut|Failed|ExitCode:-?\\d{1,10}|ErrorCode:[A-Za-z][A-Za-z0-9_.-]{0,99})$', maxLength: 111 });

export const RetryPolicy = Type.Object(
  {
    /** Attempts in all, the first included (1 = no retry). */
    maxAttempts: Type.Integer({ minimum: 1, maximum: MAX_RETRY_ATTEMPTS }),
    /** Delay before the first retry; doubles per retry. Default 0. */
    backoffSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_RETRY_BACKOFF_S })),
    /** Cap of the doubled delay. Default: no cap below MAX_RETRY_BACKOFF_S. */
    maxBackoffSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_RETRY_BACKOFF_S })),
    /** Spread the delay over [½, 1] of itself (default true), so a fleet that failed together does not retry together. */
    jitter: Type.Optional(Type.Boolean()),
    on: Type.Array(RetryOn, { minItems: 1, maxItems: MAX_ON, uniqueItems: true }),
  },
  { additionalProperties: false },
);
export type RetryPolicy = Static<typeof RetryPolicy>;

const checkPolicy = validator(RetryPolicy);

/** A policy as given (an object, or its JSON text as a workflow stores it), checked; throws ValidationError naming the problem. */
export function parseRetryPolicy(given: unknown, what = 'retryPolicy'): RetryPolicy {
  let value = given;
  if (typeof given === 'string') {
    try {
      value = JSON.parse(given) as unknown;
    } catch (err) {
      throw new ValidationError(`invalid ${what}: not valid JSON (${(err as Error).message})`, []);
    }
  }
  const policy = checkPolicy.parse(value, what);
  if (policy.maxBackoffSeconds !== undefined && policy.backoffSeconds !== undefined && policy.maxBackoffSeconds < policy.backoffSeconds) {
    const detail = `maxBackoffSeconds (${policy.maxBackoffSeconds}) must not be less than backoffSeconds (${policy.backoffSeconds})`;
    throw new ValidationError(`invalid ${what}: ${detail}`, [detail]);
  }
  return policy;
}

/**
 * Seconds to wait before attempt `nextAttempt` (2 = the first retry): backoffSeconds × 2^(nextAttempt − 2), capped;
 * with jitter (`random` in [0, 1)) a uniform share of it from ½ to 1, so the wait never collapses to nothing.
 */
export function retryDelaySeconds(policy: RetryPolicy, nextAttempt: number, random: () => number): number {
  const base = policy.backoffSeconds ?? 0;
  const cap = policy.maxBackoffSeconds ?? MAX_RETRY_BACKOFF_S;
  const delay = Math.min(cap, base * Math.pow(2, Math.max(0, Math.min(nextAttempt - 2, 30))));
  return policy.jitter === false ? delay : delay * (0.5 + random() / 2);
}

/** How an attempt ended, as the session records it. */
export interface AttemptEnding {
  readonly statuscode: number;
  readonly errorcode?: string | null | undefined;
  /** The agent's `errordetails` (JSON; `exitCode` when the flow exited non-zero). */
  readonly errordetails?: string | null | undefined;
}

function exitCodeOf(details: string | null | undefined): number | undefined {
  if (!details) return undefined;
  try {
    const parsed = JSON.parse(details) as unknown;
    const code = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['exitCode'] : undefined;
    return typeof code === 'number' ? code : undefined;
  } catch {
    return undefined;
  }
}

const AGENT_LOST: ReadonlySet<string> = new Set([ErrorCode.AgentLostSession, ErrorCode.AgentRestarted]);

function matches(on: string, e: AttemptEnding): boolean {
  const [kind, arg] = on.split(/:(.*)/s, 2) as [string, string | undefined];
  switch (kind) {
    case 'AgentLost':
      return e.errorcode != null && AGENT_LOST.has(e.errorcode);
    case 'TimedOut':
      return e.statuscode === SessionStatus.v.TimedOut;
    case 'Failed':
      return e.statuscode === SessionStatus.v.Failed;
    case 'ExitCode':
      return e.errorcode === ErrorCode.FlowExitCode && exitCodeOf(e.errordetails) === Number(arg);
    case 'ErrorCode':
      return e.errorcode === arg;
    default:
      return false;
  }
}

/**
 * The entry of `on` that makes this ending worth another attempt, or undefined. Never a success or a cancel: a cancel
 * stops the chain whatever the policy says.
 */
export function retryReason(policy: RetryPolicy, attempt: number, e: AttemptEnding): string | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  if (e.statuscode === SessionStatus.v.Succeeded || e.statuscode === SessionStatus.v.Cancelled) return undefined;
  return policy.on.find((on) => matches(on, e));
}

/** Whether a session of attempt `attempt` under `policy` may be tried again at all (its callback then waits for the last attempt). */
export function mayRetry(policy: RetryPolicy | undefined, attempt: number): boolean {
  return policy !== undefined && attempt < policy.maxAttempts;
}
