import { MachineState } from '../../shared/option-sets.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {} from '@fastify/websocket';
import { AGENT_WS_PATH, CloseCode } from '../../shared/protocol.js';
import { AGENT_FEATURES_HEADER, featureHeader, ORCHESTRATOR_FEATURES, ORCHESTRATOR_FEATURES_HEADER, parseFeatureHeader } from '../../shared/protocol-features.js';
import { CallbackDelivery } from '../callback/callback-delivery.js';
import type { AgentControl, BackgroundStats, OrchestratorContext, SessionQueue } from '../context.js';
import type { QueueObserver } from '../queue/queue-observer.js';
import type { QueueStats } from '../queue/queue-stats.js';
import { maskStoredSecretInputs } from '../queue/secret-inputs.js';
import { QueueTimers } from '../queue/queue-timers.js';
import { Queue } from '../queue/session-queue.js';
import type { MachineRecord } from '../store/store.js';
import { AgentConnection } from './agent-connection.js';
import { agentControl } from './agent-control.js';
import { AgentRegistry } from './agent-registry.js';
import { FailureLimiter } from './failure-limiter.js';
import { DEFAULT_MACHINE_BUDGET, FrameBudget, type MachineBudget } from './frame-budget.js';
import { authenticateRequest, type MachineAuth } from './machine-auth.js';
import { MachineStatusWriter, recordDisconnected, refreshMachineStatus } from './machine-status.js';
import { DEFAULT_FAILURE_DELAY, registerRoute, type FailureDelay } from './register-route.js';
import { DEFAULT_VERIFICATION_SLOTS, DEFAULT_VERIFICATIONS_WAITING, VerificationSlots } from './verification-slots.js';
import { workflowRoute } from './workflow-route.js';

export interface AgentGatewayOptions {
  /** Heartbeat (WebSocket ping) interval; a peer silent for 2 intervals is dropped. Default 30 s. */
  readonly heartbeatIntervalMs?: number;
  /** How often the queue re-checks timeouts and scheduled sessions. Default 1 s. */
  readonly queueTickMs?: number;
  /** A new connection must send `hello` within this time (close 4004). Default 10 s. */
  readonly helloTimeoutMs?: number;
  /** An `assign` without accept/reject for this long is revoked and requeued. Default 30 s. */
  readonly offerTimeoutMs?: number;
  /** A machine that rejected a session is not offered it again for this long. Default 60 s. */
  readonly rejectCooldownMs?: number;
  /** After a run timeout, how long to wait for an offline agent before marking TimedOut here. Default 60 s. */
  readonly runTimeoutGraceMs?: number;
  /** After a cancel, how long to wait for the agent to report the session's end before marking it Cancelled here. Default 60 s. */
  readonly cancelGraceMs?: number;
  /**
   * Failed authentications per client address (IPv6: per /64), and failed registrations per (group, address), per
   * minute answered at once; later failures are answered after a growing delay (authFailureDelay). Default 10.
   */
  readonly maxAuthFailuresPerMinute?: number;
  /** The delay of the first slowed failure, doubling up to the cap. Default 500 ms, 10 s. */
  readonly authFailureDelay?: FailureDelay;
  /** scrypt checks (group passwords, old machine credentials) in flight; more get 503 + Retry-After. Default: half the cores, 1..2. */
  readonly maxVerificationsInFlight?: number;
  /** Checks that may wait for a slot before the 503s start. Default 8. */
  readonly maxVerificationsWaiting?: number;
  /** Upstream bytes and frames per second per machine; frames past it wait, unread. Default DEFAULT_MACHINE_BUDGET. */
  readonly machineBudget?: Partial<MachineBudget>;
  /** Most sessions one frame may create (`local-session` events). Default 100. */
  readonly maxLocalSessionsPerFrame?: number;
  /** Callback hosts allowed over http and on loopback/private addresses (e.g. `localhost:8080`). */
  readonly callbackAllowHosts?: readonly string[];
  /** First callback retry delay (doubles per attempt). Default 2 s. */
  readonly callbackBaseDelayMs?: number;
  /** Told of the queue's confirmations and ends (metrics). */
  readonly queueObserver?: QueueObserver;
  /** The features this orchestrator announces. Default ORCHESTRATOR_FEATURES; tests pose as an older release with fewer. */
  readonly features?: readonly string[];
}

/** What the gateway's parts hold right now, from memory (metrics). */
export interface GatewayStats {
  readonly queue: QueueStats;
  /** Connected machines, and the slots their last reported state gives. */
  readonly agents: { readonly connected: number; readonly capacity: number; readonly freeSlots: number };
  readonly callbacks: BackgroundStats;
}

export interface AgentGateway {
  readonly queue: SessionQueue;
  /** Pause/resume/drain commands for connected agents. */
  readonly control: AgentControl;
  stats(): Promise<GatewayStats>;
  /** Stops the timers and the queue, writes the machines' last status, closes the agents' connections. */
  close(): Promise<void>;
  /** Resolves once what the closed connections left the queue to do is done (before the store closes). */
  idle(): Promise<void>;
}

/** Registers `POST /agent/v1/register` and the WebSocket `/agent/v1` on `app`, and creates the session queue. */
export async function registerAgentGateway(app: FastifyInstance, ctx: OrchestratorContext, options: AgentGatewayOptions = {}): Promise<AgentGateway> {
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 30_000;
  const registry = new AgentRegistry<AgentConnection>();
  // Heartbeats alone reach the machine row within a second (or a heartbeat interval, if shorter).
  const status = new MachineStatusWriter({ store: ctx.store, logger: ctx.logger, heartbeatFlushMs: Math.min(1000, heartbeatIntervalMs) });
  const callbacks = new CallbackDelivery({ ctx, allowHosts: options.callbackAllowHosts, baseDelayMs: options.callbackBaseDelayMs });
  await maskStoredSecretInputs(ctx.store);
  const queue = new Queue({ ctx, links: registry, rejectCooldownMs: options.rejectCooldownMs, callbacks, ...(options.queueObserver ? { observer: options.queueObserver } : {}) });
  const timers = new QueueTimers({ ctx, queue, links: registry, tickMs: options.queueTickMs, offerTimeoutMs: options.offerTimeoutMs, runTimeoutGraceMs: options.runTimeoutGraceMs, cancelGraceMs: options.cancelGraceMs });
  const delay = options.authFailureDelay ?? DEFAULT_FAILURE_DELAY;
  const slots = new VerificationSlots(options.maxVerificationsInFlight ?? DEFAULT_VERIFICATION_SLOTS, options.maxVerificationsWaiting ?? DEFAULT_VERIFICATIONS_WAITING);
  const auth: MachineAuth = {
    store: ctx.store,
    slots,
    failures: new FailureLimiter({ free: options.maxAuthFailuresPerMinute ?? 10, windowMs: 60_000, firstDelayMs: delay.firstMs, maxDelayMs: delay.maxMs, now: ctx.now }),
  };
  const authed = new WeakMap<FastifyRequest, MachineRecord>();
  const budget: MachineBudget = { ...DEFAULT_MACHINE_BUDGET, ...options.machineBudget };
  const budgets = new Map<string, FrameBudget>();
  const budgetOf = (machineId: string): FrameBudget => {
    let b = budgets.get(machineId);
    if (!b) budgets.set(machineId, (b = new FrameBudget(budget, ctx.now)));
    return b;
  };

  // The orchestrator's features ride on the upgrade response: an agent learns them before its hello, and an agent
  // older than negotiation ignores the header.
  const features = options.features ?? ORCHESTRATOR_FEATURES;
  const announced = `${ORCHESTRATOR_FEATURES_HEADER}: ${featureHeader(features)}`;
  app.websocketServer.on('headers', (headers: string[], request: { url?: string }) => {
    if (request.url?.split('?')[0] === AGENT_WS_PATH) headers.push(announced);
  });

  registerRoute(app, ctx, { freeFailuresPerMinute: options.maxAuthFailuresPerMinute, failureDelay: delay, slots, onRegistered: (id) => queue.machineChanged(id) });
  workflowRoute(app, ctx, auth);

  app.get(
    AGENT_WS_PATH,
    {
      websocket: true,
      // Authentication happens on the HTTP upgrade request: a bad credential never gets a socket.
      preValidation: async (request, reply) => {
        const machine = await authenticateRequest(auth, request, reply);
        if (machine) authed.set(request, machine);
      },
    },
    (socket, request) => {
      const machine = authed.get(request);
      if (!machine) return socket.close(CloseCode.Unauthorized, 'not authenticated');
      const machineId = machine.flowmachineid;
      new AgentConnection({
        socket,
        machineId,
        ctx,
        queue,
        registry,
        status,
        heartbeatIntervalMs,
        helloTimeoutMs: options.helloTimeoutMs ?? 10_000,
        headerFeatures: parseFeatureHeader(request.headers[AGENT_FEATURES_HEADER.toLowerCase()]),
        features,
        budget: budgetOf(machineId),
        maxLocalSessionsPerFrame: options.maxLocalSessionsPerFrame ?? 100,
      }).start();
    },
  );

  // Nobody is connected right after a start: show every machine offline until it reconnects.
  for (const m of await ctx.store.machines.connected()) await recordDisconnected(ctx.store, m.flowmachineid);
  await queue.start();
  timers.start();
  await callbacks.start();

  const facade: SessionQueue = {
    enqueued: (id) => queue.enqueued(id),
    sessionChanged: (id) => queue.sessionChanged(id),
    cancel: (id) => queue.cancel(id),
    triggerCallback: (id) => queue.triggerCallback(id),
    callbackSecretRotated: async (groupId) => {
      const machines = await ctx.store.machines.inGroup(groupId);
      await Promise.all(machines.map((m) => registry.get(m.flowmachineid)?.sendCallbackKey()));
    },
    machineChanged: async (id) => {
      const row = await ctx.store.machines.get(id);
      const conn = registry.get(id);
      if (conn && (!row || (row.statecode ?? MachineState.v.Active) === MachineState.v.Inactive)) conn.close(CloseCode.Revoked, 'machine was deleted or deactivated');
      else {
        await status.flush();
        // Whether it is connected now, after the flush: a hello or disconnect may have come meanwhile.
        await refreshMachineStatus(ctx.store, id, registry.get(id)?.live !== undefined);
      }
      await queue.machineChanged(id);
    },
    close: async () => {
      callbacks.close();
      await timers.stop();
      await queue.close();
    },
  };
  return {
    queue: facade,
    control: agentControl(ctx.store, queue.assignments, registry),
    stats: async () => ({ queue: await queue.stats(ctx.now().getTime()), agents: connectedAgents(registry), callbacks: callbacks.stats() }),
    async close() {
      await facade.close();
      await status.close();
      for (const conn of registry.all()) conn.close(CloseCode.GoingAway, 'orchestrator shutting down');
    },
    idle: () => queue.close(),
  };
}

function connectedAgents(registry: AgentRegistry<AgentConnection>): GatewayStats['agents'] {
  let capacity = 0;
  let freeSlots = 0;
  const all = registry.all();
  for (const conn of all) {
    capacity += conn.live?.capacity ?? 0;
    freeSlots += conn.live?.freeSlots ?? 0;
  }
  return { connected: all.length, capacity, freeSlots };
}
