import { buildCallbackBody, CALLBACK_TTL_S, IDEMPOTENCY_KEY_HEADER, isRetryableCallbackStatus, SIGNATURE_HEADER } from '../../shared/callback.js';
import { checkCallbackUrl, type CallbackUrlPolicyOptions } from '../../shared/callback-policy.js';
import { BackgroundOperationState, BackgroundOperationStatus, isTerminalStatus } from '../../shared/option-sets.js';
import { backgroundoperationEntity, flowmachineEntity, flowsessionEntity } from '../../shared/records/index.js';
import type { OrchestratorContext } from '../context.js';
import { StoreError, type Row } from '../store/store.js';
import { groupCallbackSecret, signAsOrchestrator } from './callback-keys.js';
import { lookupAllAddresses, postCallback } from './callback-post.js';

export interface CallbackDeliveryOptions {
  readonly ctx: OrchestratorContext;
  /** Hosts (name or name:port) that may be reached over http and on loopback/private addresses. */
  readonly allowHosts?: readonly string[];
  /** First retry delay; doubles per attempt (with jitter) up to `maxDelayMs`. Defaults 2 s / 5 min. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly requestTimeoutMs?: number;
  /** Resolves a callback host to every address; default node:dns. */
  readonly lookupAll?: CallbackUrlPolicyOptions['lookupAll'];
}

const NAME_PREFIX = 'callback ';

/** The callback secret of the session's group, or of its machine's group (a session sent to one machine). */
function sessionGroupSecret(store: OrchestratorContext['store'], session: Row): string | undefined {
  const machine = typeof session['_machineid_value'] === 'string' ? store.get(flowmachineEntity, session['_machineid_value']) : undefined;
  const groupId = session['_machinegroupid_value'] ?? machine?.['_flowmachinegroupid_value'];
  return typeof groupId === 'string' ? groupCallbackSecret(store, groupId) : undefined;
}

/**
 * Orchestrator-side completion callbacks (TriggerDesktopFlowRunCallback and sessions the orchestrator
 * ended itself). Each delivery is a backgroundoperation row, so pending retries survive a restart.
 */
export class CallbackDelivery {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly o: CallbackDeliveryOptions) {}

  /** Resumes deliveries that were pending when the orchestrator stopped. */
  start(): void {
    const pending = this.o.ctx.store.query(backgroundoperationEntity, { where: 'statecode = ? AND name LIKE ?', params: [BackgroundOperationState.v.Ready, `${NAME_PREFIX}%`] });
    for (const op of pending) this.schedule(String(op['backgroundoperationid']), 0);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Queues a delivery of a finished session's callback; returns the backgroundoperation id. */
  trigger(sessionId: string): string {
    const { store, now } = this.o.ctx;
    const session = store.get(flowsessionEntity, sessionId);
    if (!session) throw new StoreError('NotFound', `flowsession ${sessionId} does not exist`);
    if (!isTerminalStatus(Number(session['statuscode']))) throw new StoreError('Conflict', `flowsession ${sessionId} has not finished yet`);
    if (!session['callbackurl']) throw new StoreError('Conflict', `flowsession ${sessionId} has no callbackurl`);
    const op = store.insert(backgroundoperationEntity, {
      name: `${NAME_PREFIX}${sessionId}`,
      statecode: BackgroundOperationState.v.Ready,
      statuscode: BackgroundOperationStatus.v.WaitingForResources,
      inputparameters: JSON.stringify({ sessionId, url: session['callbackurl'] }),
      retrycount: 0,
      priority: 0,
      starttime: now().toISOString(),
      ttlinseconds: CALLBACK_TTL_S,
    });
    const id = String(op['backgroundoperationid']);
    this.schedule(id, 0);
    return id;
  }

  /** Sends the callback of a session the orchestrator itself ended, when it has a callbackurl. */
  finished(sessionId: string): void {
    const session = this.o.ctx.store.get(flowsessionEntity, sessionId);
    if (session?.['callbackurl']) this.trigger(sessionId);
  }

  private schedule(id: string, delayMs: number): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.attempt(id).catch((err: unknown) => this.o.ctx.logger.error(`callback ${id}: ${(err as Error).stack ?? String(err)}`));
    }, delayMs);
    t.unref();
    this.timers.add(t);
  }

  private end(id: string, ok: boolean, message: string | null, extra: Row = {}): void {
    this.o.ctx.store.update(backgroundoperationEntity, id, {
      ...extra,
      statecode: BackgroundOperationState.v.Completed,
      statuscode: ok ? BackgroundOperationStatus.v.Succeeded : BackgroundOperationStatus.v.Failed,
      errormessage: message,
      endtime: this.o.ctx.now().toISOString(),
    });
  }

  private async attempt(id: string): Promise<void> {
    const { store, now } = this.o.ctx;
    const op = store.get(backgroundoperationEntity, id);
    if (!op || op['statecode'] !== BackgroundOperationState.v.Ready || this.closed) return;
    const { sessionId, url } = JSON.parse(String(op['inputparameters'])) as { sessionId: string; url: string };
    const deadline = Date.parse(String(op['createdon'])) + Number(op['ttlinseconds'] ?? CALLBACK_TTL_S) * 1000;
    const check = await checkCallbackUrl(url, { allow: this.o.allowHosts ?? [], lookupAll: this.o.lookupAll ?? lookupAllAddresses, parseUrl: (text) => new URL(text) });
    if (!check.ok && check.refused) return this.end(id, false, `callback URL refused: ${check.reason}`);
    const session = store.get(flowsessionEntity, sessionId);
    if (!session) return this.end(id, false, `flowsession ${sessionId} no longer exists`);
    const secret = sessionGroupSecret(store, session);
    const body = JSON.stringify(buildCallbackBody(session as Parameters<typeof buildCallbackBody>[0]));
    const headers: Record<string, string> = { 'content-type': 'application/json', [IDEMPOTENCY_KEY_HEADER]: sessionId };
    // Signed at each attempt, with the group's current secret: a retry carries a fresh time, a rotation applies at once.
    if (secret) headers[SIGNATURE_HEADER] = signAsOrchestrator(secret, body, now());
    let failure: string;
    if (!check.ok) {
      failure = check.reason;
    } else {
      const result = await postCallback(check.target, body, headers, this.o.requestTimeoutMs ?? 30_000);
      if ('error' in result) {
        failure = `callback request failed: ${result.error}`;
      } else {
        if (result.status >= 200 && result.status < 300) return this.end(id, true, null, { outputparameters: JSON.stringify({ status: result.status }) });
        failure = `callback answered HTTP ${result.status}`;
        if (!isRetryableCallbackStatus(result.status)) return this.end(id, false, failure);
      }
    }
    const retries = Number(op['retrycount'] ?? 0) + 1;
    const delay = Math.min(this.o.maxDelayMs ?? 300_000, (this.o.baseDelayMs ?? 2000) * 2 ** (retries - 1)) * (0.5 + Math.random() / 2);
    if (now().getTime() + delay > deadline) return this.end(id, false, `${failure}; gave up after ${retries} attempts (ttl reached)`);
    store.update(backgroundoperationEntity, id, { retrycount: retries, statuscode: BackgroundOperationStatus.v.InProgress, errormessage: failure });
    this.schedule(id, delay);
  }
}
