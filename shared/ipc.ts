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
import type { Static } from '@sinclair/typebox';
import { statusCommands, statusEvents, type StatusBridge } from './status.js';

/** Key under which the preload bridge is exposed on `window`. */
export const IPC_BRIDGE_KEY = 'flowhost';

export const commands = statusCommands;
export const events = statusEvents;

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
export type IpcBridge = StatusBridge;
