/**
 * The status window's one client of the agent. It speaks the commands and events of shared/status.ts over one of
 * two transports, and checks every reply and pushed snapshot against the shared schemas before the page sees it:
 *   HttpTransport: fetch + EventSource to the agent's loopback status endpoint (token from the URL fragment);
 *   IpcTransport:  Electron IPC through the preload bridge `window.flowhost` (shared/status.ts IPC_BRIDGE_KEY).
 */
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  STATUS_PATHS,
  StatusSnapshot,
  statusCommands,
  type StatusBridge,
  type StatusCommand,
  type StatusReply,
  type StatusRequest,
  type StatusResult,
} from '../shared/status.js';
import { registerSchemaFormats } from './schema-formats.js';

registerSchemaFormats();

/** How the page's link to the agent stands. */
export type LinkState = 'connecting' | 'live' | 'retrying' | 'unauthorized';
export type LinkListener = (state: LinkState, detail?: string) => void;

/** What both transports do; results are unchecked here, the client checks them. */
export interface StatusTransport {
  invoke<C extends StatusCommand>(command: C, request: StatusRequest<C>): Promise<StatusResult<C>>;
  /** Starts the snapshot stream; returns the function that stops it. */
  subscribe(onSnapshot: (payload: unknown) => void, onLink: LinkListener): () => void;
}

export class AgentClientError extends Error {
  override readonly name = 'AgentClientError';
}

function problem(schema: TSchema, value: unknown): string {
  const first = Value.Errors(schema, value).First();
  return first ? `${first.path || 'value'} ${first.message}` : 'invalid value';
}

/** The typed client the page uses; the same for both transports. */
export class AgentClient {
  constructor(private readonly transport: StatusTransport) {}

  async call<C extends StatusCommand>(command: C, request: StatusRequest<C>): Promise<StatusReply<C>> {
    const result = await this.transport.invoke(command, request);
    if (!result.ok) throw new AgentClientError(result.error);
    const schema = statusCommands[command].reply;
    if (!Value.Check(schema, result.value)) throw new AgentClientError(`the agent's reply to ${command} is not valid: ${problem(schema, result.value)}`);
    return result.value;
  }

  /** Pushes each valid snapshot to `onSnapshot`; invalid ones are reported through `onLink`'s detail and dropped. */
  watch(onSnapshot: (snapshot: StatusSnapshot) => void, onLink: LinkListener): () => void {
    return this.transport.subscribe((payload) => {
      if (Value.Check(StatusSnapshot, payload)) onSnapshot(payload);
      else onLink('live', `a snapshot from the agent was not valid and was ignored: ${problem(StatusSnapshot, payload)}`);
    }, onLink);
  }
}

export interface HttpTransportOptions {
  readonly token: string;
  /** Default: the page's own origin. */
  readonly baseUrl?: string;
  /** Reconnect delays grow from this to `maxDelayMs` (defaults 500 ms and 15 s). */
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** HTTP + Server-Sent Events to the agent's loopback status endpoint. The token goes only in an Authorization header. */
export class HttpTransport implements StatusTransport {
  private readonly base: string;

  constructor(private readonly options: HttpTransportOptions) {
    this.base = options.baseUrl ?? window.location.origin;
  }

  async invoke<C extends StatusCommand>(command: C, request: StatusRequest<C>): Promise<StatusResult<C>> {
    const res = await this.post(`${STATUS_PATHS.command}${encodeURIComponent(command)}`, request);
    if (res.status === 401) return { ok: false, error: 'The agent refused the token (401). Open the address `flowhost status` prints.' };
    const body: unknown = await res.json().catch(() => undefined);
    if (typeof body === 'object' && body !== null && 'ok' in body) return body as StatusResult<C>;
    return { ok: false, error: `the agent answered ${res.status} ${res.statusText}` };
  }

  subscribe(onSnapshot: (payload: unknown) => void, onLink: LinkListener): () => void {
    let stopped = false;
    let source: EventSource | undefined;
    let timer: number | undefined;
    let delay = this.options.minDelayMs ?? 500;
    const retry = (detail: string) => {
      source?.close();
      source = undefined;
      if (stopped) return;
      onLink('retrying', detail);
      timer = window.setTimeout(open, delay);
      delay = Math.min(delay * 2, this.options.maxDelayMs ?? 15_000);
    };
    const open = async () => {
      if (stopped) return;
      onLink('connecting');
      let res: Response;
      try {
        res = await this.post(STATUS_PATHS.streamTicket, {});
      } catch {
        return retry('the agent cannot be reached');
      }
      if (res.status === 401) return onLink('unauthorized', 'The agent refused the token (401). Open the address `flowhost status` prints.');
      const body = (await res.json().catch(() => undefined)) as { ticket?: unknown } | undefined;
      if (!res.ok || typeof body?.ticket !== 'string') return retry(`the agent answered ${res.status}`);
      if (stopped) return;
      const es = new EventSource(`${this.base}${STATUS_PATHS.events}?ticket=${encodeURIComponent(body.ticket)}`);
      source = es;
      es.onopen = () => {
        delay = this.options.minDelayMs ?? 500;
        onLink('live');
      };
      es.onerror = () => retry('the connection to the agent was lost');
      es.addEventListener('status:changed', (event) => {
        let payload: unknown;
        try {
          payload = JSON.parse((event as MessageEvent<string>).data);
        } catch {
          return onLink('live', 'the agent sent an event that is not JSON');
        }
        onSnapshot(payload);
      });
    };
    void open();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      source?.close();
    };
  }

  private post(path: string, body: unknown): Promise<Response> {
    return fetch(`${this.base}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.options.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  }
}

/** Electron IPC through the preload bridge; the main process validates every payload with the same schemas. */
export class IpcTransport implements StatusTransport {
  constructor(private readonly bridge: StatusBridge) {}

  invoke<C extends StatusCommand>(command: C, request: StatusRequest<C>): Promise<StatusResult<C>> {
    return this.bridge.invoke(command, request);
  }

  subscribe(onSnapshot: (payload: unknown) => void, onLink: LinkListener): () => void {
    const off = this.bridge.subscribe('status:changed', onSnapshot);
    onLink('live');
    // The bridge pushes changes only: ask once for the current state.
    void this.bridge.invoke('status:get', {}).then((result) => {
      if (result.ok) onSnapshot(result.value);
      else onLink('retrying', result.error);
    });
    return off;
  }
}

/** The preload bridge, when the page runs in the Electron status window. */
export function findBridge(key: string): StatusBridge | undefined {
  const candidate: unknown = (window as unknown as Record<string, unknown>)[key];
  if (typeof candidate !== 'object' || candidate === null) return undefined;
  const bridge = candidate as Partial<StatusBridge>;
  return typeof bridge.invoke === 'function' && typeof bridge.subscribe === 'function' ? (bridge as StatusBridge) : undefined;
}
