/** Wires the status window: picks the transport, renders each snapshot, sends the page's commands. */
import { IPC_BRIDGE_KEY } from '../shared/status.js';
import type { StatusRequest, StatusSnapshot } from '../shared/status.js';
import { AgentClient, findBridge, HttpTransport, IpcTransport, type LinkState, type StatusTransport } from './agent-client.js';
import { byId } from './dom.js';
import { renderAgent } from './view-agent.js';
import { renderLog } from './view-log.js';
import { renderPicture } from './view-picture.js';
import { renderActive, renderRecent, tickElapsed, type SessionsView } from './view-sessions.js';

const LOG_LINES = 200;
const LINK_TEXT: Record<LinkState, string> = { connecting: 'connecting…', live: 'live', retrying: 'reconnecting…', unauthorized: 'not authorized' };

let client: AgentClient | undefined;
let snapshot: StatusSnapshot | undefined;
let selected: { id: string; name: string } | undefined;
let clockSkewMs = 0;
let logLoading = false;
let logAgain = false;
let attendedPending = 0;
/** `<sessionId> <takenon>` of the picture shown or being fetched. */
let pictureKey: string | undefined;

function showAlert(message: string | undefined): void {
  const alert = byId('alert');
  alert.textContent = message ?? '';
  alert.hidden = !message;
}

function onLink(state: LinkState, detail?: string): void {
  const link = byId('link');
  link.textContent = LINK_TEXT[state];
  link.dataset['state'] = state;
  if (state === 'unauthorized') {
    byId('content').hidden = true;
    byId('token-form').hidden = false;
  }
  if (detail) showAlert(detail);
  else if (state === 'live') showAlert(undefined);
}

function sessionsView(): SessionsView {
  return { selected: selected?.id, clockSkewMs, onSelect: select };
}

function render(s: StatusSnapshot): void {
  const wasActive = snapshot?.active.some((a) => a.sessionId === selected?.id) ?? false;
  snapshot = s;
  clockSkewMs = Date.parse(s.at) - Date.now();
  byId('content').hidden = false;
  byId('token-form').hidden = true;
  renderAgent(s, attendedPending > 0);
  renderActive(byId('active'), s, sessionsView());
  renderRecent(byId('recent'), s, sessionsView());
  // While the chosen session runs its log grows; once more when it ends, for the last lines.
  if (selected && (wasActive || s.active.some((a) => a.sessionId === selected?.id))) void refreshLog();
  void refreshPicture();
}

/** Fetches the chosen session's picture once it has one (each picture once); clears it when another is chosen. */
async function refreshPicture(): Promise<void> {
  const shot = snapshot?.recent.find((r) => r.sessionId === selected?.id)?.screenshot;
  const key = selected && shot ? `${selected.id} ${shot.takenon}` : undefined;
  if (key === pictureKey) return;
  pictureKey = key;
  if (!client || !selected || key === undefined) return renderPicture(byId('picture'), undefined);
  const { id, name } = selected;
  try {
    const picture = await client.call('session:screenshot', { sessionId: id });
    if (pictureKey === key) renderPicture(byId('picture'), picture, name);
  } catch (err) {
    // Not asked again for the same picture: a refused one would be refused on every snapshot.
    showAlert(err instanceof Error ? err.message : String(err));
  }
}

function select(id: string, name: string): void {
  selected = { id, name };
  byId('log-title').textContent = `Last ${LOG_LINES} lines of ${name} (${id})`;
  if (snapshot) render(snapshot);
  void refreshLog();
}

/** One log request at a time; a change during it asks for one more afterwards. */
async function refreshLog(): Promise<void> {
  if (!client || !selected) return;
  if (logLoading) {
    logAgain = true;
    return;
  }
  logLoading = true;
  try {
    const tail = await client.call('session:log-tail', { sessionId: selected.id, limit: LOG_LINES });
    if (tail.sessionId === selected.id) renderLog(byId('log'), tail);
  } catch (err) {
    showAlert(err instanceof Error ? err.message : String(err));
  } finally {
    logLoading = false;
    if (logAgain) {
      logAgain = false;
      void refreshLog();
    }
  }
}

async function command<C extends 'agent:pause' | 'agent:resume' | 'attended:set'>(name: C, request: StatusRequest<C>): Promise<void> {
  if (!client) return;
  try {
    render(await client.call(name, request));
  } catch (err) {
    showAlert(err instanceof Error ? err.message : String(err));
  }
}

function wireControls(): void {
  byId('pause').addEventListener('click', () => void command('agent:pause', {}));
  byId('pause-hour').addEventListener('click', () => void command('agent:pause', { minutes: 60 }));
  byId('resume').addEventListener('click', () => void command('agent:resume', {}));
  const attended = byId<HTMLInputElement>('attended');
  attended.addEventListener('change', () => {
    attendedPending += 1;
    void command('attended:set', { on: attended.checked }).finally(() => {
      attendedPending -= 1;
      if (snapshot) render(snapshot);
    });
  });
  window.setInterval(() => tickElapsed(byId('active'), clockSkewMs), 1000);
}

let stopWatching: (() => void) | undefined;

function connect(transport: StatusTransport): void {
  stopWatching?.();
  client = new AgentClient(transport);
  stopWatching = client.watch(render, onLink);
}

function tokenFromFragment(): string | undefined {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token');
  return token ? token : undefined;
}

function askForToken(): void {
  const form = byId<HTMLFormElement>('token-form');
  form.hidden = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = byId<HTMLInputElement>('token-input').value.trim();
    if (!token) return;
    showAlert(undefined);
    connect(new HttpTransport({ token }));
  });
}

function start(): void {
  wireControls();
  const bridge = findBridge(IPC_BRIDGE_KEY);
  if (bridge) return connect(new IpcTransport(bridge));
  askForToken();
  byId('token-form').hidden = true;
  const token = tokenFromFragment();
  if (token) connect(new HttpTransport({ token }));
  else {
    byId('token-form').hidden = false;
    onLink('unauthorized');
  }
}

start();
