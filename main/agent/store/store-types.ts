import type { Static } from '@sinclair/typebox';
import type { FlowDefinition } from '../../../shared/flow-definition.js';
import type { Assign, AssignedSession, LogLine, Sample } from '../../../shared/protocol.js';

/** Where a session stands on this agent. accepted → confirmed → running ⇄ paused → completed. */
export type SessionStage = 'accepted' | 'confirmed' | 'running' | 'paused' | 'completed';

/** A session as the agent's store keeps it. */
export interface LocalSession {
  readonly sessionId: string;
  readonly stage: SessionStage;
  readonly session: AssignedSession;
  readonly flow: FlowDefinition;
  /** The inputs as a JSON string. */
  readonly inputs: string;
  readonly secretInputs: readonly string[];
  readonly outputschema?: string;
  /** 3 Waiting (accepted/confirmed), 2 Running, 1 Paused, then a terminal status. */
  readonly statuscode: number;
  readonly acceptedon: string;
  readonly startedon?: string;
  readonly completedon?: string;
  /** Process group id of the running flow (POSIX: the leader's pid). */
  readonly pid?: number;
  /** User the flow runs (ran) as. */
  readonly runas?: string;
  readonly errorcode?: string;
  readonly errormessage?: string;
  readonly errordetails?: string;
  readonly outputs?: string;
  readonly machinepercentcpuusage?: number;
  readonly machinepercentramusage?: number;
  readonly machineramusage?: number;
  readonly runexecutionduration?: number;
  /** A Local run started on this machine (`flowhost run`), reported upstream by its `local-session` event. */
  readonly local?: true;
  /** The process that runs a local session (`flowhost run`), not the agent. */
  readonly ownerPid?: number;
}

/** A callback outbox row (backgroundoperation shape). */
export interface CallbackRow {
  backgroundoperationid: string;
  sessionId: string;
  /** The session's workflow (from its stored assign), for x-ms-workflow-id; null when the session row is gone. */
  workflowId: string | null;
  url: string;
  body: string;
  retrycount: number;
  createdon: string;
  ttlinseconds: number;
  nextattempton: string;
}

export interface CallbackAttemptOutcome {
  status: 'succeeded' | 'retry' | 'failed';
  nextAttemptAt?: Date;
  error?: string;
  httpStatus?: number;
}

/** How a run ended, as the session host hands it to the store. */
export interface CompletionInput {
  readonly statuscode: number;
  readonly completedon: string;
  readonly errorcode?: string;
  readonly errormessage?: string;
  readonly errordetails?: string;
  /** Validated outputs JSON (only for a run that produced valid outputs). */
  readonly outputs?: string;
  readonly runexecutionduration?: number;
  /** Callback ttl for the outbox row; default 24 h. */
  readonly callbackTtlS?: number;
}

/** Retention of acked log lines and samples of completed sessions. */
export interface RetentionOptions {
  /** Prune data of sessions completed longer ago than this. Default 7 days. */
  readonly maxAgeMs?: number;
  /** Keep at most this many log lines in total (oldest completed sessions go first). Default 1,000,000. */
  readonly maxLogLines?: number;
}

/** A run-as work dir outside the data dir, and who its flow ran as (to remove what the flow left as that user). */
export interface WorkDirRecord {
  readonly path: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * A session's consecutive lines of one stream and level, written once: the masked lines joined by `\n` (a line never
 * holds one), numbered from `firstSeq`, with the time of its lines.
 */
export interface LogChunk {
  readonly stream: LogLine['stream'];
  readonly level: number;
  readonly firstSeq: number;
  readonly lineCount: number;
  /** Consecutive lines sharing a time (ISO, to the millisecond), oldest first; the counts add up to lineCount. */
  readonly times: readonly { readonly at: string; readonly lines: number }[];
  readonly text: string;
}

export type { LogLine, Sample };
/** The assign frame as stored (validated by the codec on arrival). */
export type AssignFrame = Static<typeof Assign>;
