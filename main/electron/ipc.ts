// The ONLY file of the main process that touches ipcMain or webContents.send. Every handler goes through
// dispatchCommand (sender + schema checks); every push through checkEvent.
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import type { StatusCommand, StatusEvent, StatusEventPayload } from '../../shared/status.js';
import { checkEvent, dispatchCommand, type CommandHandler, type DispatchLog, type IpcSender } from './ipc-guard.js';

export interface IpcRouterOptions {
  /** webContents id of the status window, or undefined while none is open. */
  readonly trustedId: () => number | undefined;
  readonly log: DispatchLog;
}

function senderOf(event: IpcMainInvokeEvent): IpcSender {
  const frame = event.senderFrame;
  return { webContentsId: event.sender.id, frameUrl: frame?.url, isTopFrame: frame !== null && frame.parent === null };
}

export class IpcRouter {
  private readonly channels = new Set<StatusCommand>();

  constructor(private readonly options: IpcRouterOptions) {}

  /** Registers the one handler of a channel; its schema comes from shared/status.ts, not from the caller. */
  handle<C extends StatusCommand>(channel: C, handler: CommandHandler<C>): void {
    if (this.channels.has(channel)) throw new Error(`IPC channel ${channel} already has a handler`);
    this.channels.add(channel);
    ipcMain.handle(channel, (event, payload: unknown) =>
      dispatchCommand(channel, handler, { trustedId: this.options.trustedId(), sender: senderOf(event), payload }, this.options.log),
    );
  }

  /** Pushes an event to the window after checking it against its schema. */
  emit<E extends StatusEvent>(target: WebContents, event: E, payload: StatusEventPayload<E>): void {
    const problem = checkEvent(event, payload);
    if (problem) {
      this.options.log.warn(`IPC event not sent: ${problem}`);
      return;
    }
    if (!target.isDestroyed()) target.send(event, payload);
  }

  dispose(): void {
    for (const channel of this.channels) ipcMain.removeHandler(channel);
    this.channels.clear();
  }
}
