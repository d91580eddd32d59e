import type { Logger } from 'winston';
import type { CallbackOutcome } from '../node-shared/callback-sender.js';
import type { SessionRecord, Store } from './store/store.js';

/** A delivery queued by TriggerDesktopFlowRunCallback, and what its first attempt got (none when its session vanished). */
export interface TriggeredCallback {
  readonly operationId: string;
  readonly firstAttempt: Promise<CallbackOutcome | undefined>;
}

/** What the queue offers the Web API (implemented in orchestrator/queue/). Each resolves once the queue took the change in. */
export interface SessionQueue {
  /** A flowsession row was just created Waiting: log `Queued`, set its queue reason, try to dispatch. */
  enqueued(sessionId: string): Promise<void>;
  /**
   * Cancel a session: a waiting one becomes Cancelled at once; an assigned/running one is cancelled on its
   * agent (Cancelled when the agent reports it). Returns the session row after the change.
   * Throws StoreError NotFound for an unknown id; a terminal session is returned unchanged.
   */
  cancel(sessionId: string): Promise<SessionRecord>;
  /** A session was changed through the API (priority, schedule …): re-file it in the queue. */
  sessionChanged(sessionId: string): Promise<void>;
  /** A machine or group was changed through the API (statecode, capacity …): re-evaluate the queue. */
  machineChanged(machineId: string): Promise<void>;
  /**
   * Re-send the completion callback of a finished session now (TriggerDesktopFlowRunCallback); later attempts, if
   * the first one asks for them, follow as a durable backgroundoperation.
   */
  triggerCallback(sessionId: string): Promise<TriggeredCallback>;
  /** The group's callback secret was rotated: connected machines of the group get their new key now. */
  callbackSecretRotated(groupId: string): Promise<void>;
  /** Stop timers; resolves once the queue's changes under way are done. */
  close(): Promise<void>;
}

/** Operator commands to connected agents (implemented in orchestrator/gateway/agent-control.ts). Each returns false when the agent is not connected. */
export interface AgentControl {
  pauseSession(sessionId: string): Promise<boolean>;
  resumeSession(sessionId: string): Promise<boolean>;
  pauseMachine(machineId: string, until?: Date): boolean;
  resumeMachine(machineId: string): boolean;
  drainMachine(machineId: string): boolean;
}

/** Background operations of one kind (bulk writes, callback deliveries), from the memory of the part that runs them. */
export interface BackgroundStats {
  /** Not completed: waiting to run (or for their next attempt), or running. */
  readonly pending: number;
  /** Completed since this process started. */
  readonly succeeded: number;
  readonly failed: number;
}

/** Everything the orchestrator's parts share; built once in orchestrator/server.ts. */
export interface OrchestratorContext {
  readonly store: Store;
  readonly now: () => Date;
  readonly logger: Logger;
}
