import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../shared/error-codes.js';
import { SessionStatus } from '../../../shared/option-sets.js';
import { mayRetry, parseRetryPolicy, retryDelaySeconds, retryReason, type RetryPolicy } from '../../../shared/retry-policy.js';
import { ValidationError } from '../../../shared/validate.js';

const S = SessionStatus.v;

describe('retry policy: validation', () => {
  it('takes an object or its JSON text, and the documented `on` forms', () => {
    const policy = { maxAttempts: 3, backoffSeconds: 5, maxBackoffSeconds: 60, jitter: false, on: ['AgentLost', 'TimedOut', 'Failed', 'ExitCode:2', 'ExitCode:-1', 'ErrorCode:FlowStartFailed'] };
    expect(parseRetryPolicy(policy)).toEqual(policy);
    expect(parseRetryPolicy(JSON.stringify(policy))).toEqual(policy);
  });

  it.each([
    [{ maxAttempts: 0, on: ['Failed'] }, /maxAttempts must be >= 1/],
    [{ maxAttempts: 11, on: ['Failed'] }, /maxAttempts must be <= 10/],
    [{ maxAttempts: 2.5, on: ['Failed'] }, /maxAttempts must be integer/],
    [{ maxAttempts: 2, backoffSeconds: -1, on: ['Failed'] }, /backoffSeconds must be >= 0/],
    [{ maxAttempts: 2, backoffSeconds: 86_401, on: ['Failed'] }, /backoffSeconds must be <= 86400/],
    [{ maxAttempts: 2, backoffSeconds: 60, maxBackoffSeconds: 10, on: ['Failed'] }, /maxBackoffSeconds \(10\) must not be less than backoffSeconds \(60\)/],
    [{ maxAttempts: 2, on: [] }, /on must NOT have fewer than 1 items/],
    [{ maxAttempts: 2, on: ['Sometimes'] }, /on\.0 must match pattern/],
    [{ maxAttempts: 2, on: ['ExitCode:two'] }, /on\.0 must match pattern/],
    [{ maxAttempts: 2, on: ['Failed', 'Failed'] }, /on must NOT have duplicate items/],
    [{ maxAttempts: 2 }, /missing required property 'on'/],
    [{ maxAttempts: 2, on: ['Failed'], every: 1 }, /unknown property 'every'/],
    ['{"maxAttempts":', /not valid JSON/],
  ])('refuses %j with a clear error', (given, message) => {
    expect(() => parseRetryPolicy(given)).toThrow(ValidationError);
    expect(() => parseRetryPolicy(given)).toThrow(message);
  });
});

describe('retry policy: backoff', () => {
  const policy: RetryPolicy = { maxAttempts: 10, backoffSeconds: 10, maxBackoffSeconds: 50, jitter: false, on: ['Failed'] };

  it('doubles from backoffSeconds per retry up to the cap, without jitter exactly', () => {
    expect([2, 3, 4, 5, 6].map((n) => retryDelaySeconds(policy, n, () => 0.3))).toEqual([10, 20, 40, 50, 50]);
  });

  it('with jitter (the default) spreads the delay over [½, 1] of it by the injected random', () => {
    const jittered = { ...policy, jitter: undefined };
    expect(retryDelaySeconds(jittered, 3, () => 0)).toBe(10);
    expect(retryDelaySeconds(jittered, 3, () => 0.5)).toBe(15);
    expect(retryDelaySeconds(jittered, 3, () => 0.999_999)).toBeCloseTo(20, 3);
  });

  it('is 0 without backoffSeconds, and a huge attempt number stays at the cap', () => {
    expect(retryDelaySeconds({ maxAttempts: 2, on: ['Failed'] }, 2, () => 0.7)).toBe(0);
    expect(retryDelaySeconds({ ...policy, maxBackoffSeconds: undefined }, 1000, () => 0.99)).toBeLessThanOrEqual(86_400);
  });
});

describe('retry policy: should this ending be tried again?', () => {
  const policy: RetryPolicy = { maxAttempts: 3, on: ['AgentLost', 'TimedOut', 'ExitCode:2', 'ErrorCode:DisplayUnavailable'] };
  const exit = (code: number) => ({ statuscode: S.Failed, errorcode: ErrorCode.FlowExitCode, errordetails: JSON.stringify({ exitCode: code, signal: null }) });

  it.each([
    ['agent lost its store', { statuscode: S.Aborted, errorcode: ErrorCode.AgentLostSession }, 'AgentLost'],
    ['agent restarted under it', { statuscode: S.Aborted, errorcode: ErrorCode.AgentRestarted }, 'AgentLost'],
    ['run timeout', { statuscode: S.TimedOut, errorcode: ErrorCode.RunTimeout }, 'TimedOut'],
    ['exit code named', exit(2), 'ExitCode:2'],
    ['exit code not named', exit(3), undefined],
    ['error code named', { statuscode: S.Failed, errorcode: ErrorCode.DisplayUnavailable }, 'ErrorCode:DisplayUnavailable'],
    ['other failure', { statuscode: S.Failed, errorcode: ErrorCode.OutputsInvalid }, undefined],
    ['success', { statuscode: S.Succeeded }, undefined],
    ['cancel', { statuscode: S.Cancelled, errorcode: ErrorCode.Cancelled }, undefined],
  ])('%s → %s', (_what, ending, reason) => {
    expect(retryReason(policy, 1, ending)).toBe(reason);
  });

  it('`Failed` names any failure; a cancel is never retried even when its error code is named', () => {
    expect(retryReason({ maxAttempts: 2, on: ['Failed'] }, 1, exit(7))).toBe('Failed');
    expect(retryReason({ maxAttempts: 2, on: ['ErrorCode:Cancelled'] }, 1, { statuscode: S.Cancelled, errorcode: ErrorCode.Cancelled })).toBeUndefined();
  });

  it('stops at maxAttempts', () => {
    expect(retryReason(policy, 2, exit(2))).toBe('ExitCode:2');
    expect(retryReason(policy, 3, exit(2))).toBeUndefined();
    expect([mayRetry(policy, 2), mayRetry(policy, 3), mayRetry(undefined, 1)]).toEqual([true, false, false]);
  });
});
