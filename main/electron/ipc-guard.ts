import { statusCommands, statusEvents, isStatusCommand, isStatusEvent, type StatusCommand, type StatusReply, type StatusRequest, type StatusResult, type StatusEvent, type StatusEventPayload } from '../../shared/status.js';
import { validator } from '../../shared/validate.js';
import { isStatusPageUrl } from './window-policy.js';

/** Who sent an IPC message, as ipc.ts reads it from Electron's event. */
export interface IpcSender {
  readonly webContentsId: number;
  /** URL of the frame that sent it; undefined when the frame is gone. */
  readonly frameUrl: string | undefined;
  readonly isTopFrame: boolean;
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Trust only the status window: its webContents id (recorded at creation, forgotten when it is destroyed), its
 * top frame (not an iframe) and the status page's own origin.
 */
export function checkSender(trustedId: number | undefined, sender: IpcSender): Verdict {
  if (trustedId === undefined) return { ok: false, reason: 'no status window is open' };
  if (sender.webContentsId !== trustedId) return { ok: false, reason: `sender ${sender.webContentsId} is not the status window` };
  if (!sender.isTopFrame) return { ok: false, reason: 'sender is not the top frame' };
  if (!isStatusPageUrl(sender.frameUrl)) return { ok: false, reason: `sender URL ${String(sender.frameUrl)} is not the status page` };
  return { ok: true };
}

export type CommandHandler<C extends StatusCommand> = (request: StatusRequest<C>) => StatusReply<C> | Promise<StatusReply<C>>;

export interface DispatchLog {
  warn(message: string): void;
}

/**
 * One IPC command from arrival to reply: sender checked, channel looked up, payload validated with its schema,
 * the handler run, its reply validated too. Every failure becomes `{ ok: false, error }`; nothing throws.
 */
export async function dispatchCommand<C extends StatusCommand>(
  channel: C,
  handler: CommandHandler<C>,
  call: { readonly trustedId: number | undefined; readonly sender: IpcSender; readonly payload: unknown },
  log: DispatchLog,
): Promise<StatusResult<C>> {
  const trusted = checkSender(call.trustedId, call.sender);
  if (!trusted.ok) {
    log.warn(`IPC ${channel} refused: ${trusted.reason}`);
    return { ok: false, error: 'refused' };
  }
  if (!isStatusCommand(channel)) return { ok: false, error: `unknown channel '${String(channel)}'` };
  const request = validator(statusCommands[channel].request);
  if (!request.check(call.payload)) {
    const error = `invalid ${channel} request: ${request.errors('payload').join('; ')}`;
    log.warn(`IPC ${error}`);
    return { ok: false, error };
  }
  let value: StatusReply<C>;
  try {
    value = await handler(call.payload as StatusRequest<C>);
  } catch (err) {
    return { ok: false, error: `${channel} failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  const reply = validator(statusCommands[channel].reply);
  if (!reply.check(value)) {
    log.warn(`IPC ${channel} produced an invalid reply: ${reply.errors('reply').join('; ')}`);
    return { ok: false, error: `${channel} failed: the agent produced an invalid reply` };
  }
  return { ok: true, value };
}

/** Checks an event before it is pushed to the window; returns why it may not be sent, or undefined. */
export function checkEvent<E extends StatusEvent>(event: E, payload: StatusEventPayload<E>): string | undefined {
  if (!isStatusEvent(event)) return `unknown event '${String(event)}'`;
  const v = validator(statusEvents[event]);
  return v.check(payload) ? undefined : `invalid ${event} payload: ${v.errors('payload').join('; ')}`;
}
