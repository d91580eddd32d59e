import type { StatusSnapshot } from '../shared/status.js';
import { byId } from './dom.js';
import { formatDateTime, formatTime } from './format.js';

const CONNECTION_TEXT: Record<StatusSnapshot['connection']['status'], string> = {
  idle: 'Not started',
  connecting: 'Connecting…',
  connected: 'Connected',
  disconnected: 'Offline (reconnecting)',
  refused: 'Refused by the orchestrator',
  stopped: 'Stopped',
};

/**
 * Header, connection, scheduling, outbox and the state of the control buttons.
 * `attendedPending`: the user has flipped the switch and the agent has not answered yet, so a snapshot taken before
 * the change must not flip it back under them.
 */
export function renderAgent(s: StatusSnapshot, attendedPending: boolean): void {
  const { machine, connection, scheduling, backlog } = s;
  const header = byId('machine');
  header.textContent = machineHeader(machine);
  header.title = machineIds(machine);

  const conn = byId('connection');
  conn.dataset['status'] = connection.status;
  const since = connection.since ? ` since ${formatTime(connection.since)}` : '';
  const error = connection.error && connection.status !== 'connected' ? ` — ${connection.error}` : '';
  conn.textContent = `${CONNECTION_TEXT[connection.status]}${since} (${connection.orchestratorUrl})${error}`;

  const busy = scheduling.capacity - scheduling.freeSlots;
  const parts = [
    scheduling.draining ? 'Draining: no new work' : scheduling.paused ? (scheduling.pausedUntil ? `Paused until ${formatDateTime(scheduling.pausedUntil)}` : 'Paused') : 'Taking work',
    `${busy} of ${scheduling.capacity} slots in use`,
    s.attendedMode ? `attended mode on${scheduling.signedInUser ? ` (${scheduling.signedInUser})` : ''}` : 'attended mode off',
  ];
  if (!scheduling.storageOk) parts.push('local storage failing');
  const sched = byId('scheduling');
  sched.textContent = parts.join(' · ');
  sched.dataset['paused'] = String(scheduling.paused);

  const back = byId('backlog');
  back.textContent = `${backlog.events} report${backlog.events === 1 ? '' : 's'} and ${backlog.callbacks} callback${backlog.callbacks === 1 ? '' : 's'} waiting`;

  byId<HTMLButtonElement>('pause').disabled = scheduling.paused && !scheduling.pausedUntil;
  byId<HTMLButtonElement>('resume').disabled = !scheduling.paused;
  if (!attendedPending) byId<HTMLInputElement>('attended').checked = s.attendedMode;
}

type Machine = StatusSnapshot['machine'];

/** Names for people; an id only where the agent knows no name. */
function machineHeader(m: Machine): string {
  const group = m.groupname ?? m.flowmachinegroupid;
  return `Machine ${m.name ?? m.flowmachineid}${group ? ` · group ${group}` : ' · no group'}`;
}

/** The ids, for support (the header's tooltip). */
function machineIds(m: Machine): string {
  return `machine id ${m.flowmachineid}${m.flowmachinegroupid ? ` · group id ${m.flowmachinegroupid}` : ''}`;
}
