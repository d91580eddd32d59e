import { RunMode, SessionStatus } from './option-sets.js';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { FlowDefinition } from './flow-definition.js';
import { WireLogLevel } from './protocol-log-level.js';

export { WireLogLevel, type WireLogLevelName } from './protocol-log-level.js';

/**
 * Agent ⇄ orchestrator protocol, WebSocket `/agent/v1`. Documented in docs/protocol.md.
 * Bump PROTOCOL_VERSION on any incompatible change; the orchestrator refuses versions it does not speak.
 */
export const PROTOCOL_VERSION = 1;
export const AGENT_WS_PATH = '/agent/v1';
/** The orchestrator's Web API, below its base URL. */
export const WEB_API_PATH = '/api/data/v9.2';
/** The Web API base of an orchestrator given by its base URL (`http(s)://host:port[/prefix]`). */
export const webApiUrl = (orchestratorUrl: string): string => orchestratorUrl.trim().replace(/\/+$/, '') + WEB_API_PATH;
export const AGENT_REGISTER_PATH = '/agent/v1/register';
/** `GET <AGENT_WORKFLOWS_PATH>/<workflowid>` with the machine credential → AgentWorkflow (for `flowhost run <id>`). */
export const AGENT_WORKFLOWS_PATH = '/agent/v1/workflows';
/**
 * Largest frame either side accepts. It must hold the largest legal `assign` (inputs ≤ 2,000,000 chars plus a flow
 * definition, JSON-escaped inside the frame: up to 3 bytes a char) and `outputs` event; log and sample batches are
 * kept far smaller by the agent (see main/agent/store/event-outbox.ts).
 */
export const MAX_FRAME_BYTES = 16 * 1_048_576;
/**
 * Largest screenshot (PNG bytes) a `completed` event carries: base64 (4/3) plus the largest rest of the event stays
 * well under MAX_FRAME_BYTES. The agent keeps a larger picture locally and says in the session's log that it was not
 * sent.
 */
export const MAX_SCREENSHOT_BYTES = 8 * 1_048_576;

/** WebSocket close codes (4000–4999 are ours). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  TooBig: 1009,
  InvalidFrame: 4000,
  Unauthorized: 4001,
  UnsupportedVersion: 4002,
  Replaced: 4003,
  HelloTimeout: 4004,
  Revoked: 4005,
  PingTimeout: 4006,
} as const;

const Uuid = Type.String({ format: 'uuid' });
const Iso = Type.String({ format: 'date-time' });
const Seq = Type.Integer({ minimum: 1 });
const Str = (maxLength = 1024) => Type.String({ maxLength });

/** A side's features (shared/protocol-features.ts): tokens, unknown ones ignored. */
const FeatureList = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 64 });

const frame = <T extends string, P extends Record<string, TSchema>>(type: T, props: P) =>
  Type.Object({ type: Type.Literal(type), ...props }, { additionalProperties: false });

// ───── registration (HTTP, once) ─────

export const RegisterRequest = Type.Object(
  {
    group: Type.String({ minLength: 1, maxLength: 256 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
    name: Type.String({ minLength: 1, maxLength: 256 }),
    os: Type.Optional(Str(256)),
    agentVersion: Type.Optional(Str(64)),
    capacity: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
  },
  { additionalProperties: false },
);
export type RegisterRequest = Static<typeof RegisterRequest>;

export const RegisterResponse = Type.Object(
  {
    flowmachineid: Uuid,
    flowmachinegroupid: Uuid,
    /** Secret the agent presents as `Authorization: Bearer <flowmachineid>.<credential>` on the upgrade. */
    credential: Type.String({ minLength: 32, maxLength: 256 }),
    /**
     * This machine's key for the X-Flowhost-Signature of completion callbacks, derived from the group's callback
     * secret and the machine id (shared/callback-signature.ts); the name predates the derivation.
     */
    callbackSecret: Type.String({ minLength: 16, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type RegisterResponse = Static<typeof RegisterResponse>;

/** A workflow as a machine reads it to run it locally: the definition (`clientdata`) and its schemas, JSON strings. */
export const AgentWorkflow = Type.Object(
  {
    workflowid: Uuid,
    name: Str(400),
    clientdata: Type.String({ maxLength: 1_000_000 }),
    inputschema: Type.Optional(Type.String({ maxLength: 100_000 })),
    outputschema: Type.Optional(Type.String({ maxLength: 100_000 })),
  },
  { additionalProperties: false },
);
export type AgentWorkflow = Static<typeof AgentWorkflow>;

// ───── agent → orchestrator ─────

/** Whether the machine can serve a run mode now; when not, the queue reason it gives (shared/error-codes.ts). */
export const RunModeAvailability = Type.Object(
  {
    available: Type.Boolean(),
    reason: Type.Optional(Type.Union([Type.Literal('AttendedUserNotSignedIn'), Type.Literal('DisplayUnavailable')])),
    /** Why, for people (shown nowhere by the queue; logged). */
    message: Type.Optional(Str(500)),
  },
  { additionalProperties: false },
);
export type RunModeAvailability = Static<typeof RunModeAvailability>;

/** The agent's live scheduling state; sent in hello, on every change and as the heartbeat. */
export const AgentState = Type.Object(
  {
    capacity: Type.Integer({ minimum: 1, maximum: 256 }),
    freeSlots: Type.Integer({ minimum: 0, maximum: 256 }),
    paused: Type.Boolean(),
    pausedUntil: Type.Optional(Iso),
    draining: Type.Boolean(),
    attendedAvailable: Type.Boolean(),
    signedInUser: Type.Optional(Str(256)),
    sessionUsers: Type.Array(Str(256), { maxItems: 64 }),
    /** False when the agent cannot store new work (disk full, read-only data dir). */
    storageOk: Type.Boolean(),
    /**
     * Which run modes the machine can serve now (a display for them: the signed-in user's, a virtual one). Sent only
     * to an orchestrator that declared `run-modes`; without it the queue goes by attendedAvailable alone.
     */
    runModes: Type.Optional(Type.Object({ attended: RunModeAvailability, unattended: RunModeAvailability }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type AgentState = Static<typeof AgentState>;

export const Hello = frame('hello', {
  protocol: Type.Integer({ minimum: 1 }),
  agentVersion: Str(64),
  os: Str(256),
  /** Highest seq the agent saw acked; the orchestrator answers with what it really applied. */
  lastAckedSeq: Type.Integer({ minimum: 0 }),
  state: AgentState,
  /** Sessions the agent holds that are not terminal (running or accepted), so the orchestrator can reconcile. */
  activeSessions: Type.Array(Uuid, { maxItems: 256 }),
  /**
   * Highest seq in the agent's outbox when it said hello. Once the orchestrator applied up to it, every event the
   * agent had is in, and a session confirmed to this machine that is neither in `activeSessions` nor ended was lost.
   */
  lastSeq: Type.Optional(Type.Integer({ minimum: 0 })),
  /**
   * The agent's wall clock when it built this hello. The orchestrator keeps `its clock − agentTime` for the
   * connection and maps the agent's timestamps (startedon, completedon, log line times) onto its own clock.
   */
  agentTime: Type.Optional(Iso),
  /**
   * The agent's features; sent only to an orchestrator that announced `features` in its upgrade response (an older
   * one refuses unknown fields). Without it the orchestrator reads the upgrade request header.
   */
  features: Type.Optional(FeatureList),
});
export type Hello = Static<typeof Hello>;

export const StateFrame = frame('state', { state: AgentState });

export const Accept = frame('accept', { sessionId: Uuid });
export const Reject = frame('reject', { sessionId: Uuid, errorcode: Str(100), message: Str(2000) });

export const LogLine = Type.Object(
  {
    /** Per-session order. */
    seq: Type.Integer({ minimum: 0 }),
    /** A `WireLogLevel` (the agent's numbers, frozen; not Dataverse's flowlog level). */
    level: Type.Integer({ minimum: WireLogLevel.Verbose, maximum: WireLogLevel.Error }),
    stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr'), Type.Literal('agent')]),
    at: Iso,
    message: Type.String({ maxLength: 100_000 }),
  },
  { additionalProperties: false },
);
export type LogLine = Static<typeof LogLine>;

export const Sample = Type.Object(
  {
    at: Iso,
    machineCpuPercent: Type.Number({ minimum: 0, maximum: 100 }),
    machineRamUsedMb: Type.Number({ minimum: 0 }),
    machineRamPercent: Type.Number({ minimum: 0, maximum: 100 }),
    processCpuPercent: Type.Optional(Type.Number({ minimum: 0 })),
    processRssMb: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type Sample = Static<typeof Sample>;

const eventBase = { seq: Seq, sessionId: Uuid, at: Iso };
/** A PNG of a session's display, base64, at most MAX_SCREENSHOT_BYTES before encoding. */
export const Screenshot = Type.Object(
  { takenon: Iso, png: Type.String({ minLength: 12, maxLength: Math.ceil(MAX_SCREENSHOT_BYTES / 3) * 4 }) },
  { additionalProperties: false },
);
export type Screenshot = Static<typeof Screenshot>;
export const StartedEvent = Type.Object(
  { ...eventBase, kind: Type.Literal('started'), startedon: Iso, sessionusername: Type.Optional(Str(256)), processversion: Type.Optional(Str(100)) },
  { additionalProperties: false },
);
export const LogEvent = Type.Object({ ...eventBase, kind: Type.Literal('log'), lines: Type.Array(LogLine, { minItems: 1, maxItems: 5000 }) }, { additionalProperties: false });
export const SampleEvent = Type.Object({ ...eventBase, kind: Type.Literal('sample'), samples: Type.Array(Sample, { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false });
export const OutputsEvent = Type.Object({ ...eventBase, kind: Type.Literal('outputs'), outputs: Type.String({ maxLength: 2_000_000 }) }, { additionalProperties: false });
/** Running ⇄ Paused of a running session. */
export const StatusEvent = Type.Object(
  { ...eventBase, kind: Type.Literal('status'), statuscode: Type.Union([Type.Literal(SessionStatus.v.Paused), Type.Literal(SessionStatus.v.Running)]) },
  { additionalProperties: false },
);
export const CompletedEvent = Type.Object(
  {
    ...eventBase,
    kind: Type.Literal('completed'),
    statuscode: Type.Integer({ minimum: SessionStatus.v.Succeeded, maximum: SessionStatus.v.Terminated }),
    startedon: Type.Optional(Iso),
    completedon: Iso,
    errorcode: Type.Optional(Str(100)),
    errormessage: Type.Optional(Str(10_000)),
    errordetails: Type.Optional(Str(100_000)),
    machinepercentcpuusage: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    machinepercentramusage: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    machineramusage: Type.Optional(Type.Number({ minimum: 0 })),
    /** Durations measured on the agent's monotonic clock (ms), immune to clock skew. */
    runexecutionduration: Type.Optional(Type.Integer({ minimum: 0 })),
    /** The picture of the session's display (feature `screenshots` only; docs/desktop.md). */
    screenshot: Type.Optional(Screenshot),
  },
  { additionalProperties: false },
);
/**
 * A Local run (`flowhost run`) the agent started by itself: the session's first event, in the same seq order as the
 * rest, so the orchestrator creates the session (runmode 0 Local, triggertype 2 Local, confirmed to this machine)
 * exactly once, in the transaction that applies this seq.
 */
export const LocalSessionEvent = Type.Object(
  {
    ...eventBase,
    kind: Type.Literal('local-session'),
    name: Str(400),
    createdon: Iso,
    inputs: Type.Optional(Type.String({ maxLength: 2_000_000 })),
    workflowid: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
export const SessionEvent = Type.Union([StartedEvent, LogEvent, SampleEvent, OutputsEvent, StatusEvent, CompletedEvent, LocalSessionEvent]);
export type SessionEvent = Static<typeof SessionEvent>;

/** Most lines in one `log` or `log-chunk` event. */
export const MAX_LINES_PER_LOG_EVENT = 5000;
/** Most characters of a `log-chunk` event's text (JSON-escaped, up to 6 bytes a char: well under MAX_FRAME_BYTES). */
export const MAX_LOG_CHUNK_CHARS = 1_048_576;
/** Consecutive lines sharing one time: `[at, how many]`. */
export const LineTimes = Type.Array(Type.Tuple([Iso, Type.Integer({ minimum: 1, maximum: MAX_LINES_PER_LOG_EVENT })]), { minItems: 1, maxItems: MAX_LINES_PER_LOG_EVENT });
/**
 * A session's output as the agent stores it (feature `log-chunks`; an orchestrator without it gets the same lines as a
 * `log` event): consecutive lines of one stream and level, numbered from `firstLine`, their masked text joined by
 * `\n`, their times as runs. The runs add up to the lines of `text`, and no line is longer than a `log` line may be
 * (shared/log-chunk.ts checks both on receipt).
 */
export const LogChunkEvent = Type.Object(
  {
    ...eventBase,
    kind: Type.Literal('log-chunk'),
    stream: LogLine.properties.stream,
    level: LogLine.properties.level,
    firstLine: Type.Integer({ minimum: 0 }),
    times: LineTimes,
    text: Type.String({ maxLength: MAX_LOG_CHUNK_CHARS }),
  },
  { additionalProperties: false },
);
export type LogChunkEvent = Static<typeof LogChunkEvent>;

/** An event as it travels: the outbox's events, and a log chunk to an orchestrator that declared `log-chunks`. */
export const WireEvent = Type.Union([...SessionEvent.anyOf, LogChunkEvent]);
export type WireEvent = Static<typeof WireEvent>;

export const EventFrame = frame('event', { event: WireEvent });

/** Most events in one `events` frame. */
export const MAX_EVENTS_PER_FRAME = 2000;
/**
 * Consecutive events (seq order, no gaps) in one frame: the agent's way of replaying a backlog. The orchestrator
 * handles it exactly like the same `event` frames one after another, and still accepts `event` from older agents.
 */
export const EventsFrame = frame('events', { events: Type.Array(WireEvent, { minItems: 1, maxItems: MAX_EVENTS_PER_FRAME }) });

export const AgentFrame = Type.Union([Hello, StateFrame, Accept, Reject, EventFrame, EventsFrame]);
export type AgentFrame = Static<typeof AgentFrame>;

// ───── orchestrator → agent ─────

export const Welcome = frame('welcome', {
  protocol: Type.Integer({ minimum: 1 }),
  flowmachineid: Uuid,
  /** Highest event seq the orchestrator applied for this machine; the agent replays what follows. */
  appliedUpTo: Type.Integer({ minimum: 0 }),
  serverTime: Iso,
  /** Ping period of the orchestrator (ms); production default 30000, tests use less. */
  heartbeatIntervalMs: Type.Integer({ minimum: 10 }),
  /** Sessions of `activeSessions` the orchestrator no longer wants (cancelled/revoked while away). */
  cancelSessions: Type.Array(Uuid),
  /** The orchestrator's features; sent only to an agent that declared `features`. */
  features: Type.Optional(FeatureList),
});

export const AssignedSession = Type.Object(
  {
    flowsessionid: Uuid,
    name: Str(400),
    workflowid: Uuid,
    runmode: Type.Union([Type.Literal(RunMode.v.Local), Type.Literal(RunMode.v.Attended), Type.Literal(RunMode.v.Unattended)]),
    priority: Type.Integer(),
    timeout: Type.Integer({ minimum: 1, maximum: 86_400 }),
    sessionusername: Type.Optional(Str(256)),
    callbackurl: Type.Optional(Str(2048)),
    correlationid: Type.Optional(Str(100)),
    createdon: Iso,
    /**
     * The session's own Web API token (feature `session-tokens`): lets its flow start, read and wait for child
     * sessions, nothing else; revoked when the session ends. Secret: never logged, never in argv.
     */
    sessiontoken: Type.Optional(Type.String({ minLength: 20, maxLength: 200, pattern: '^[A-Za-z0-9._-]+$' })),
  },
  { additionalProperties: false },
);
export type AssignedSession = Static<typeof AssignedSession>;

export const Assign = frame('assign', {
  session: AssignedSession,
  flow: FlowDefinition,
  /** The inputs as a JSON string (validated at enqueue). */
  inputs: Type.String({ maxLength: 2_000_000 }),
  /** Names of the inputs whose values are secret (masked in every log). */
  secretInputs: Type.Array(Str(256)),
  /** Output JSON Schema, as a string, or absent. */
  outputschema: Type.Optional(Type.String({ maxLength: 100_000 })),
});

export const Confirm = frame('confirm', { sessionId: Uuid });
/** An unconfirmed assignment taken back (the agent forgets it; it never started). */
export const Revoke = frame('revoke', { sessionId: Uuid });
export const Ack = frame('ack', { upTo: Type.Integer({ minimum: 0 }) });
export const Cancel = frame('cancel', { sessionId: Uuid, reason: Type.Union([Type.Literal('cancelled'), Type.Literal('timeout')]) });
/** Pause/resume one running session (sessionId) or the whole machine (no sessionId; `until` optional). */
export const Pause = frame('pause', { sessionId: Type.Optional(Uuid), until: Type.Optional(Iso) });
export const Resume = frame('resume', { sessionId: Type.Optional(Uuid) });
export const Drain = frame('drain', {});
export const ErrorFrame = frame('error', { code: Str(100), message: Str(2000) });
/**
 * The machine's current callback signing key (feature `callback-key` only): sent after every `welcome` and when
 * the group's callback secret is rotated. The agent keeps it (0600) and signs every callback from then on with it.
 */
export const CallbackKeyFrame = frame('callback-key', { key: Type.String({ minLength: 16, maxLength: 256 }) });

export const OrchestratorFrame = Type.Union([Welcome, Assign, Confirm, Revoke, Ack, Cancel, Pause, Resume, Drain, ErrorFrame, CallbackKeyFrame]);
export type OrchestratorFrame = Static<typeof OrchestratorFrame>;
