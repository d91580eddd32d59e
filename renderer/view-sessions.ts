import type { ActiveSessionStatus, RecentSessionStatus, StatusSnapshot } from '../shared/status.js';
import { h } from './dom.js';
import { formatDuration, formatTime, statusLabel } from './format.js';
import { sparkline } from './sparkline.js';

export interface SessionsView {
  readonly selected: string | undefined;
  /** Milliseconds between the agent's clock and this page's, so elapsed times tick locally. */
  readonly clockSkewMs: number;
  readonly onSelect: (sessionId: string, name: string) => void;
}

function statusBadge(statuscode: number): HTMLElement {
  const label = statusLabel(statuscode);
  return h('span', { class: `badge badge-${label.toLowerCase()}`, text: label, attrs: { 'data-status': label } });
}

function logButton(id: string, name: string, view: SessionsView): HTMLButtonElement {
  const pressed = view.selected === id;
  return h('button', { class: 'link-button', text: pressed ? 'Showing log' : 'Show log', attrs: { type: 'button', 'aria-pressed': String(pressed) }, onClick: () => view.onSelect(id, name) });
}

function elapsed(s: ActiveSessionStatus, skewMs: number): string {
  if (!s.startedon) return `waiting since ${formatTime(s.acceptedon)}`;
  return formatDuration(Date.now() + skewMs - Date.parse(s.startedon));
}

function activeRow(s: ActiveSessionStatus, view: SessionsView): HTMLElement {
  const cpu = s.samples.map((p) => p.cpu);
  const ram = s.samples.map((p) => p.ramPct);
  const last = s.samples.at(-1);
  return h(
    'tr',
    { attrs: { 'data-session-id': s.sessionId } },
    h('td', { text: s.name }),
    h('td', {}, statusBadge(s.statuscode)),
    h('td', { class: 'elapsed num', text: elapsed(s, view.clockSkewMs), attrs: { 'data-started': s.startedon ?? '' } }),
    h('td', {}, sparkline(cpu, { label: `CPU ${last ? `${last.cpu.toFixed(0)} %` : 'no samples yet'}`, max: 100, class: 'cpu' }), h('span', { class: 'num', text: last ? ` ${last.cpu.toFixed(0)} %` : '' })),
    h('td', {}, sparkline(ram, { label: `RAM ${last ? `${last.ramPct.toFixed(0)} %` : 'no samples yet'}`, max: 100, class: 'ram' }), h('span', { class: 'num', text: last ? ` ${last.ramPct.toFixed(0)} % (${Math.round(last.ramMb)} MB)` : '' })),
    h('td', {}, logButton(s.sessionId, s.name, view)),
  );
}

function recentRow(s: RecentSessionStatus, view: SessionsView): HTMLElement {
  const error = [s.errorcode, s.errormessage].filter(Boolean).join(': ');
  return h(
    'tr',
    { attrs: { 'data-session-id': s.sessionId } },
    h('td', { text: s.name }),
    h('td', {}, statusBadge(s.statuscode)),
    h('td', { class: 'num', text: s.durationMs === undefined ? '—' : formatDuration(s.durationMs) }),
    h('td', { class: 'num', text: formatTime(s.completedon ?? s.startedon ?? s.acceptedon) }),
    h('td', { class: 'error', text: error || '—' }),
    h('td', {}, logButton(s.sessionId, s.name, view)),
  );
}

function table(head: readonly string[], rows: HTMLElement[], caption: string): HTMLElement {
  return h(
    'table',
    {},
    h('caption', { class: 'visually-hidden', text: caption }),
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { text: c, attrs: { scope: 'col' } })))),
    h('tbody', {}, ...rows),
  );
}

export function renderActive(target: HTMLElement, s: StatusSnapshot, view: SessionsView): void {
  if (s.active.length === 0) {
    target.replaceChildren(h('p', { class: 'muted', text: 'No sessions running.' }));
    return;
  }
  target.replaceChildren(table(['Flow', 'Status', 'Elapsed', 'CPU', 'RAM', ''], s.active.map((a) => activeRow(a, view)), 'Running sessions'));
}

export function renderRecent(target: HTMLElement, s: StatusSnapshot, view: SessionsView): void {
  if (s.recent.length === 0) {
    target.replaceChildren(h('p', { class: 'muted', text: 'No sessions yet.' }));
    return;
  }
  target.replaceChildren(table(['Flow', 'Status', 'Duration', 'When', 'Error', ''], s.recent.map((r) => recentRow(r, view)), 'Recent sessions'));
}

/** Moves the elapsed times on between snapshots (once a second, no request). */
export function tickElapsed(target: HTMLElement, skewMs: number): void {
  for (const cell of target.querySelectorAll<HTMLElement>('td.elapsed[data-started]')) {
    const started = cell.dataset['started'];
    if (started) cell.textContent = formatDuration(Date.now() + skewMs - Date.parse(started));
  }
}
