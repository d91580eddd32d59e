/**
 * The status window's contract, shared by both transports (the loopback HTTP + Server-Sent Events endpoint of
 * main/agent/status/status-server.ts and Electron IPC through the preload bridge): the snapshot it shows, the commands
 * it may send with their replies, and the events pushed to it. Every entry is a schema; the agent validates each
 * command with it, and the window checks what it receives with it.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { AgentState, LogLine, MAX_SCREENSHOT_BYTES } from './protocol.js';

/** File in the agent's data dir holding the status endpoint's token (mode 0600). */
export const STATUS_TOKEN_FILE = 'status-token';
/** File in the agent's data dir naming the running status endpoint (written while it runs). */
export const STATUS_ENDPOINT_FILE = 'status-endpoint.json';

/** HTTP paths of the loopback status endpoint. */
export const STATUS_PATHS = {
  /** POST a command's request body (JSON) → CommandResult. */
  command: '/api/commands/',
  /** POST → a one-time ticket for the event stream (EventSource cannot send an Authorization header). */
  streamTicket: '/api/stream-ticket',
  /** GET ?ticket=… → text/event-stream of StatusEvents. */
  events: '/api/events',
} as const;

const Id = Type.String({ minLength: 1, maxLength: 64 });
/** A machine's or group's name as registered (main/agent/config/schema.ts, main/agent/registration/credentials.ts). */
const Name = Type.String({ minLength: 1, maxLength: 256 });
const IsoTime = Type.String({ maxLength: 64 });
const Empty = Type.Object({}, { additionalProperties: false });

export const StatusConnection = Type.Object(
  {
    status: Type.Union([
      Type.Literal('idle'),
      Type.Literal('connecting'),
      Type.Literal('connected'),
      Type.Literal('disconnected'),
      Type.Literal('refused'),
      Type.Literal('stopped'),
    ]),
    error: Type.Optional(Type.String({ maxLength: 4096 })),
    since: Type.Optional(IsoTime),
    orchestratorUrl: Type.String({ maxLength: 2048 }),
  },
  { additionalProperties: false },
);

/** One resource sample of a running session, trimmed for a sparkline. */
export const SamplePoint = Type.Object(
  { at: IsoTime, cpu: Type.Number({ minimum: 0, maximum: 100 }), ramPct: Type.Number({ minimum: 0, maximum: 100 }), ramMb: Type.Number({ minimum: 0 }) },
  { additionalProperties: false },
);
export type SamplePoint = Static<typeof SamplePoint>;

/** What both session lists show of a session. */
const sessionFields = {
  sessionId: Id,
  name: Type.String({ maxLength: 1024 }),
  statuscode: Type.Integer(),
  acceptedon: IsoTime,
  startedon: Type.Optional(IsoTime),
};

/** A session the agent holds and has not finished (Waiting, Running or Paused). */
export const ActiveSessionStatus = Type.Object(
  {
    ...sessionFields,
    runas: Type.Optional(Type.String({ maxLength: 256 })),
    /** Oldest first. */
    samples: Type.Array(SamplePoint, { maxItems: 600 }),
  },
  { additionalProperties: false },
);
export type ActiveSessionStatus = Static<typeof ActiveSessionStatus>;

/**
 * The largest picture the window is given: the one the orchestrator takes. A larger one stays in the store and the
 * window does not offer it, so a reply stays bounded on both transports.
 */
export const MAX_STATUS_SCREENSHOT_BYTES = MAX_SCREENSHOT_BYTES;

/** That a finished session has a picture of its display (taken when it failed, timed out or was cancelled). */
export const ScreenshotInfo = Type.Object(
  { takenon: IsoTime, bytes: Type.Integer({ minimum: 1, maximum: MAX_STATUS_SCREENSHOT_BYTES }) },
  { additionalProperties: false },
);
export type ScreenshotInfo = Static<typeof ScreenshotInfo>;

/** The picture itself, asked for with `session:screenshot`: a PNG, base64. */
export const SessionScreenshot = Type.Object(
  {
    sessionId: Id,
    takenon: IsoTime,
    pngBase64: Type.String({ minLength: 1, maxLength: Math.ceil(MAX_STATUS_SCREENSHOT_BYTES / 3) * 4, pattern: '^[A-Za-z0-9+/]+={0,2}$' }),
  },
  { additionalProperties: false },
);
export type SessionScreenshot = Static<typeof SessionScreenshot>;

/** A finished session as the recent list shows it (newest first). */
export const RecentSessionStatus = Type.Object(
  {
    ...sessionFields,
    completedon: Type.Optional(IsoTime),
    durationMs: Type.Optional(Type.Integer({ minimum: 0 })),
    errorcode: Type.Optional(Type.String({ maxLength: 100 })),
    errormessage: Type.Optional(Type.String({ maxLength: 10_000 })),
    /** Present when the agent stored a picture of the session's display (and it is within the window's bound). */
    screenshot: Type.Optional(ScreenshotInfo),
  },
  { additionalProperties: false },
);
export type RecentSessionStatus = Static<typeof RecentSessionStatus>;

export const StatusSnapshot = Type.Object(
  {
    /** When the agent took it (ISO); the window computes elapsed times against it. */
    at: IsoTime,
    connection: StatusConnection,
    /** The window shows the names; the ids stay for support. A name is absent only where the agent was given none. */
    machine: Type.Object(
      { flowmachineid: Id, name: Type.Optional(Name), flowmachinegroupid: Type.Optional(Id), groupname: Type.Optional(Name) },
      { additionalProperties: false },
    ),
    scheduling: AgentState,
    attendedMode: Type.Boolean(),
    active: Type.Array(ActiveSessionStatus, { maxItems: 256 }),
    recent: Type.Array(RecentSessionStatus, { maxItems: 100 }),
    /** Upstream reports (events) and callbacks waiting in the outbox. */
    backlog: Type.Object({ events: Type.Integer({ minimum: 0 }), callbacks: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type StatusSnapshot = Static<typeof StatusSnapshot>;

export const LogTail = Type.Object({ sessionId: Id, lines: Type.Array(LogLine, { maxItems: 1000 }) }, { additionalProperties: false });
export type LogTail = Static<typeof LogTail>;

interface CommandEntry {
  readonly request: TSchema;
  readonly reply: TSchema;
}

/** Window → agent, each with a reply. Names are `noun:verb`. */
export const statusCommands = {
  'status:get': { request: Empty, reply: StatusSnapshot },
  'session:log-tail': {
    request: Type.Object({ sessionId: Id, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }, { additionalProperties: false }),
    reply: LogTail,
  },
  /** The stored picture of a failed, timed-out or cancelled session of this machine (see `ScreenshotInfo`). */
  'session:screenshot': { request: Type.Object({ sessionId: Id }, { additionalProperties: false }), reply: SessionScreenshot },
  /** Stop taking new work, for `minutes` or until resumed. Running sessions go on. */
  'agent:pause': {
    request: Type.Object({ minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 60 })) }, { additionalProperties: false }),
    reply: StatusSnapshot,
  },
  'agent:resume': { request: Empty, reply: StatusSnapshot },
  'attended:set': { request: Type.Object({ on: Type.Boolean() }, { additionalProperties: false }), reply: StatusSnapshot },
} as const satisfies Record<string, CommandEntry>;

/** Agent → window, pushed. */
export const statusEvents = {
  /** After every (debounced) change of the agent's state, and once when a stream opens. */
  'status:changed': StatusSnapshot,
} as const satisfies Record<string, TSchema>;

export type StatusCommand = keyof typeof statusCommands;
export type StatusRequest<C extends StatusCommand> = Static<(typeof statusCommands)[C]['request']>;
export type StatusReply<C extends StatusCommand> = Static<(typeof statusCommands)[C]['reply']>;
export type StatusEvent = keyof typeof statusEvents;
export type StatusEventPayload<E extends StatusEvent> = Static<(typeof statusEvents)[E]>;

/** A command's outcome; errors travel as values so both transports carry the agent's message unchanged. */
export type StatusResult<C extends StatusCommand> = { readonly ok: true; readonly value: StatusReply<C> } | { readonly ok: false; readonly error: string };

export const isStatusCommand = (name: unknown): name is StatusCommand => typeof name === 'string' && Object.hasOwn(statusCommands, name);
export const isStatusEvent = (name: unknown): name is StatusEvent => typeof name === 'string' && Object.hasOwn(statusEvents, name);

/**
 * Key under which the tray app's preload script exposes the bridge on `window`. Over Electron IPC, commands are
 * `ipcRenderer.invoke` → `ipcMain.handle` (main/electron/ipc.ts) and events `webContents.send` → `ipcRenderer.on`;
 * the main process validates every payload and reply with the schemas above.
 */
export const IPC_BRIDGE_KEY = 'flowhost';

/** The shape the preload bridge offers for these channels (`window[IPC_BRIDGE_KEY]`). */
export interface StatusBridge {
  invoke<C extends StatusCommand>(channel: C, payload: StatusRequest<C>): Promise<StatusResult<C>>;
  /** Returns the unsubscribe function. */
  subscribe<E extends StatusEvent>(event: E, listener: (payload: StatusEventPayload<E>) => void): () => void;
}
