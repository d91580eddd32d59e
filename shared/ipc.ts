/**
 * The one table of IPC channels between the status window and the agent (Electron IPC through the preload
 * bridge; the loopback status endpoint reuses the same schemas). Names are `noun:verb`; every entry is a
 * schema, so both sides derive their types from it and the main process validates every payload with it.
 *
 *   commands: window → agent, with a reply (ipcRenderer.invoke / ipcMain.handle)
 *   events:   agent → window, pushed (webContents.send / ipcRenderer.on)
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { AgentState } from './protocol.js';

/** Key under which the preload bridge is exposed on `window`. */
export const IPC_BRIDGE_KEY = 'flowhost';

const Empty = Type.Object({}, { additionalProperties: false });

export const ConnectionStatus = Type.Union([
  Type.Literal('idle'),
  Type.Literal('connecting'),
  Type.Literal('connected'),
  Type.Literal('disconnected'),
  Type.Literal('refused'),
  Type.Literal('stopped'),
]);

export const SessionStage = Type.Union([
  Type.Literal('accepted'),
  Type.Literal('confirmed'),
  Type.Literal('running'),
  Type.Literal('paused'),
  Type.Literal('completed'),
]);

/** A session the agent holds, as the window sees it (main/agent/agent-state.ts AgentSessionView). */
export const SessionView = Type.Object(
  {
    sessionId: Type.String({ maxLength: 64 }),
    name: Type.String({ maxLength: 1024 }),
    stage: SessionStage,
    statuscode: Type.Integer(),
    runmode: Type.Integer(),
    acceptedon: Type.String({ maxLength: 64 }),
    startedon: Type.Optional(Type.String({ maxLength: 64 })),
    runas: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);

/**
 * What the tray and the window show about the agent (main/agent/agent-state.ts AgentSnapshot). Kept here so
 * the renderer, which may import only shared/, gets the same schema; main/electron checks at compile time
 * that the core's snapshot fits it.
 */
export const AgentSnapshot = Type.Object(
  {
    connection: Type.Object(
      { status: ConnectionStatus, error: Type.Optional(Type.String({ maxLength: 4096 })), orchestratorUrl: Type.String({ maxLength: 2048 }) },
      { additionalProperties: false },
    ),
    machine: Type.Object(
      { flowmachineid: Type.String({ maxLength: 64 }), flowmachinegroupid: Type.Optional(Type.String({ maxLength: 64 })) },
      { additionalProperties: false },
    ),
    scheduling: AgentState,
    attendedMode: Type.Boolean(),
    sessions: Type.Array(SessionView, { maxItems: 256 }),
    backlog: Type.Object({ events: Type.Integer({ minimum: 0 }), callbacks: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
export type AgentSnapshot = Static<typeof AgentSnapshot>;

interface CommandEntry {
  readonly request: TSchema;
  readonly reply: TSchema;
}

export const commands = {
  /** The current snapshot. */
  'agent:get-state': { request: Empty, reply: AgentSnapshot },
  /** Stop taking new work, for `minutes` or until resumed. Running sessions go on. */
  'agent:pause': {
    request: Type.Object({ minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 60 })) }, { additionalProperties: false }),
    reply: AgentSnapshot,
  },
  'agent:resume': { request: Empty, reply: AgentSnapshot },
  'attended:set': { request: Type.Object({ on: Type.Boolean() }, { additionalProperties: false }), reply: AgentSnapshot },
} as const satisfies Record<string, CommandEntry>;

export const events = {
  /** Pushed after every (debounced) change of the agent's state. */
  'agent:changed': AgentSnapshot,
} as const satisfies Record<string, TSchema>;

export type CommandChannel = keyof typeof commands;
export type CommandRequest<C extends CommandChannel> = Static<(typeof commands)[C]['request']>;
export type CommandReply<C extends CommandChannel> = Static<(typeof commands)[C]['reply']>;
export type EventChannel = keyof typeof events;
export type EventPayload<E extends EventChannel> = Static<(typeof events)[E]>;

/**
 * What `invoke` resolves to. Errors travel as values: Electron rewrites a rejected handler's error into an
 * "Error invoking remote method" string, which loses the message the window should show.
 */
export type CommandResult<C extends CommandChannel> = { readonly ok: true; readonly value: CommandReply<C> } | { readonly ok: false; readonly error: string };

export const isCommandChannel = (name: unknown): name is CommandChannel => typeof name === 'string' && Object.hasOwn(commands, name);
export const isEventChannel = (name: unknown): name is EventChannel => typeof name === 'string' && Object.hasOwn(events, name);

/** The bridge the preload script exposes as `window[IPC_BRIDGE_KEY]`. */
export interface IpcBridge {
  invoke<C extends CommandChannel>(channel: C, payload: CommandRequest<C>): Promise<CommandResult<C>>;
  /** Returns the unsubscribe function. */
  subscribe<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}
