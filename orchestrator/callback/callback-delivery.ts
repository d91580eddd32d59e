import { buildCallbackBody, CALLBACK_TTL_S } from '../../shared/callback.js';
import type { CallbackUrlPolicyOptions } from '../../shared/callback-policy.js';
import { deriveCallbackKey, ORCHESTRATOR_SIGNER } from '../../shared/callback-signature.js';
import { BackgroundOperationState, BackgroundOperationStatus, isTerminalStatus, SessionStatus, stateForStatus } from '../../shared/option-sets.js';
import type { BackgroundOperation } from '../../shared/records/index.js';
import { CallbackSender, type CallbackOutcome, type CallbackSigning } from '../../node-shared/callback-sender.js';
import { nodeHmacSha256 } from '../../node-shared/node-hmac.js';
import type { BackgroundStats, OrchestratorContext, TriggeredCallback } from '../context.js';
import { StoreError, type SessionRecord, type Values } from '../store/store.js';
import { groupCallbackSecret } from './callback-keys.js';

export interface CallbackDeliveryOptions {
  readonly ctx: OrchestratorContext;
  /** Hosts (name or name:port) that may be reached over http and on loopback/private addresses (`--callback-allow`). */
  readonly allowHosts?: readonly string[] | undefined;
  /** The retry policy's first ceiling and cap (ms); shared/callback-retry.ts by default. */
  readonly baseDelayMs?: number | undefined;
  readonly maxDelayMs?: number | undefined;
  readonly requestTimeoutMs?: number;
  /** Resolves a callback host to every address; default node:dns. */
  readonly lookupAll?: CallbackUrlPolicyOptions['lookupAll'];
  /** The backoff's jitter, in [0, 1); default Math.random. */
  readonly random?: () => number;
}

const NAME_PREFIX = 'callback ';

/** The `orchestrator` signer with the key of the session's group, or of its machine's group (a session sent to one machine). */
async function orchestratorSigning(store: OrchestratorContext['store'], session: SessionRecord): Promise<CallbackSigning | undefined> {
  const machine = session._machineid_value ? await store.machines.get(session._machineid_value) : undefined;
  const groupId = session._machinegroupid_value ?? machine?._flowmachinegroupid_value;
  const secret = groupId ? await groupCallbackSecret(store, groupId) : undefined;
  return secret === undefined ? undefined : { signer: ORCHESTRATOR_SIGNER, key: deriveCallbackKey(secret, ORCHESTRATOR_SIGNER, nodeHmacSha256) };
}

/**
 * The body stored when the session ended (session-finish.ts: built once, from the agent's own values for a session an
 * agent ran, so a re-send equals the agent's first POST byte for byte); built from the record only for a session that
 * ended before bodies were stored.
 */
function storedCallbackBody(session: SessionRecord): string {
  if (session.callbackbody !== null) return session.callbackbody;
  const statuscode = session.statuscode ?? SessionStatus.v.NotSpecified;
  return JSON.stringify(
    buildCallbackBody({
      flowsessionid: session.flowsessionid,
      statuscode,
      statecode: session.statecode ?? stateForStatus(statuscode),
      startedon: session.startedon,
      completedon: session.completedon ?? session.modifiedon,
      outputs: session.outputs,
      errorcode: session.errorcode,
    }),
  );
}

/**
 * Orchestrator-side completion callbacks (TriggerDesktopFlowRunCallback and sessions the orchestrator
 * ended itself). Each delivery is a backgroundoperation row, so pending retries survive a restart.
 */
export class CallbackDelivery {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sender: CallbackSender;
  private closed = false;
  /** Attempts under way (their timer has fired, the POST has not ended). */
  private sending = 0;
  private readonly outcomes = { succeeded: 0, failed: 0 };

  constructor(private readonly o: CallbackDeliveryOptions) {
    this.sender = new CallbackSender({
      policy: { allow: o.allowHosts ?? [], ...(o.lookupAll ? { lookupAll: o.lookupAll } : {}) },
      now: o.ctx.now,
      random: o.random,
      requestTimeoutMs: o.requestTimeoutMs,
      retry: { baseDelayMs: o.baseDelayMs, maxDelayMs: o.maxDelayMs },
    });
  }

  /** Resumes deliveries that were pending when the orchestrator stopped. */
  async start(): Promise<void> {
    for (const op of await this.o.ctx.store.operations.readyWithPrefix(NAME_PREFIX)) this.schedule(op.backgroundoperationid, 0);
  }

  /** Deliveries not completed (waiting for their next attempt, or being sent) and those completed since start. */
  stats(): BackgroundStats {
    return { pending: this.timers.size + this.sending, ...this.outcomes };
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Queues a delivery of a finished session's callback; its first attempt runs soon. Returns the backgroundoperation id. */
  async trigger(sessionId: string): Promise<string> {
    const id = await this.queue(sessionId);
    this.schedule(id, 0);
    return id;
  }

  /** Queues a delivery and makes its first attempt now (TriggerDesktopFlowRunCallback answers with its outcome). */
  async triggerNow(sessionId: string): Promise<TriggeredCallback> {
    const operationId = await this.queue(sessionId);
    return { operationId, firstAttempt: this.attempt(operationId) };
  }

  private async queue(sessionId: string): Promise<string> {
    const { store, now } = this.o.ctx;
    const session = await store.sessions.get(sessionId);
    if (!session) throw new StoreError('NotFound', `flowsession ${sessionId} does not exist`);
    if (session.statuscode === null || !isTerminalStatus(session.statuscode)) throw new StoreError('Conflict', `flowsession ${sessionId} has not finished yet`);
    if (!session.callbackurl) throw new StoreError('Conflict', `flowsession ${sessionId} has no callbackurl`);
    const op = await store.operations.insert({
      name: `${NAME_PREFIX}${sessionId}`,
      statecode: BackgroundOperationState.v.Ready,
      statuscode: BackgroundOperationStatus.v.WaitingForResources,
      inputparameters: JSON.stringify({ sessionId, url: session.callbackurl }),
      retrycount: 0,
      priority: 0,
      starttime: now().toISOString(),
      ttlinseconds: CALLBACK_TTL_S,
    });
    return op.backgroundoperationid;
  }

  /** Sends the callback of a session the orchestrator itself ended, when it has a callbackurl. */
  async finished(sessionId: string): Promise<void> {
    if ((await this.o.ctx.store.sessions.get(sessionId))?.callbackurl) await this.trigger(sessionId);
  }

  private schedule(id: string, delayMs: number): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.sending++;
      this.attempt(id)
        .catch((err: unknown) => this.o.ctx.logger.error(`callback ${id}: ${(err as Error).stack ?? String(err)}`))
        .finally(() => this.sending--);
    }, delayMs);
    t.unref();
    this.timers.add(t);
  }

  private async end(id: string, ok: boolean, message: string | null, extra: Values<BackgroundOperation> = {}): Promise<void> {
    this.outcomes[ok ? 'succeeded' : 'failed']++;
    await this.o.ctx.store.operations.update(id, {
      ...extra,
      statecode: BackgroundOperationState.v.Completed,
      statuscode: ok ? BackgroundOperationStatus.v.Succeeded : BackgroundOperationStatus.v.Failed,
      errormessage: message,
      endtime: this.o.ctx.now().toISOString(),
    });
  }

  /** One attempt of delivery `id`, recorded; its outcome (undefined when there was nothing to attempt). */
  private async attempt(id: string): Promise<CallbackOutcome | undefined> {
    const { store, now } = this.o.ctx;
    const op = await store.operations.get(id);
    if (!op || op.statecode !== BackgroundOperationState.v.Ready || this.closed) return undefined;
    const { sessionId, url } = JSON.parse(op.inputparameters ?? 'null') as { sessionId: string; url: string };
    const session = await store.sessions.get(sessionId);
    if (!session) {
      await this.end(id, false, `flowsession ${sessionId} no longer exists`);
      return undefined;
    }
    const retrycount = op.retrycount ?? 0;
    const ttlinseconds = op.ttlinseconds ?? CALLBACK_TTL_S;
    const outcome = await this.sender.attempt({
      url,
      body: storedCallbackBody(session),
      sessionId,
      workflowId: session._regardingobjectid_value ?? undefined,
      retrycount,
      deadlineMs: Date.parse(op.createdon) + ttlinseconds * 1000,
      ttlinseconds,
      // Read at each attempt: a rotation of the group's secret applies at once.
      signing: await orchestratorSigning(store, session),
    });
    if (this.closed) return outcome;
    switch (outcome.status) {
      case 'succeeded':
        await this.end(id, true, null, { outputparameters: JSON.stringify({ status: outcome.httpStatus }) });
        return outcome;
      case 'failed':
        await this.end(id, false, outcome.error ?? 'failed');
        return outcome;
      case 'retry': {
        await store.operations.update(id, { retrycount: retrycount + 1, statuscode: BackgroundOperationStatus.v.InProgress, errormessage: outcome.error ?? null });
        this.schedule(id, Math.max(0, (outcome.nextAttemptAt?.getTime() ?? 0) - now().getTime()));
        return outcome;
      }
    }
  }
}
