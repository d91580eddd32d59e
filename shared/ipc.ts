/**
 * The one table of Electron IPC channels between the status window and the agent. Names are `noun:verb`;
 * every entry is a schema (from shared/status.ts, which the loopback HTTP transport serves too), so both sides
 * derive their types from it and the main process validates every payload and reply with it.
 *
 *   commands: window → agent, with a reply (ipcRenderer.invoke → ipcMain.handle in main/electron/ipc.ts)
 *   events:   agent → window, pushed (webContents.send in main/electron/ipc.ts → ipcRenderer.on in preload)
 *
 * To add a channel: add its schema to shared/status.ts (statusCommands / statusEvents); it appears here.
 */
import {
  isStatusCommand,
  isStatusEvent,
  statusCommands,
  statusEvents,
  type StatusBridge,
  type StatusCommand,
  type StatusEvent,
  type StatusEventPayload,
  type StatusReply,
  type StatusRequest,
  type StatusResult,
} from './status.js';

/** Key under which the preload bridge is exposed on `window`. */
export const IPC_BRIDGE_KEY = 'flowhost';

export const commands = statusCommands;
export const events = statusEvents;

export type CommandChannel = StatusCommand;
export type CommandRequest<C extends CommandChannel> = StatusRequest<C>;
export type CommandReply<C extends CommandChannel> = StatusReply<C>;
export type EventChannel = StatusEvent;
export type EventPayload<E extends EventChannel> = StatusEventPayload<E>;

/**
 * What `invoke` resolves to. Errors travel as values: Electron rewrites a rejected handler's error into an
 * "Error invoking remote method" string, which loses the message the window should show.
 */
export type CommandResult<C extends CommandChannel> = StatusResult<C>;

export const isCommandChannel = isStatusCommand;
export const isEventChannel = isStatusEvent;

/** The bridge the preload script exposes as `window[IPC_BRIDGE_KEY]`. */
export type IpcBridge = StatusBridge;
