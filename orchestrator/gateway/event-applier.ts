import type { Static } from '@sinclair/typebox';
import { isTerminalStatus } from '../../shared/option-sets.js';
import type { LocalSessionEvent, SessionEvent } from '../../shared/protocol.js';
import { flowsessionEntity } from '../../shared/records/index.js';
import type { Row, Store } from '../store/store.js';
import { appendFlowLogs } from '../queue/flowlog-writer.js';
import { finishSession } from '../queue/session-finish.js';

const appliedKey = (machineId: string) => `gateway.appliedseq.${machineId}`;

export const appliedSeq = (store: Store, machineId: string): number => Number(store.getMeta(appliedKey(machineId)) ?? 0);

export type ApplyResult =
  | { kind: 'applied'; ended: boolean }
  | { kind: 'duplicate' }
  | { kind: 'gap'; expected: number }
  | { kind: 'foreign' };

/**
 * Applies one agent event exactly once: the event's effect and the machine's applied seq commit in one
 * transaction. `owns` says whether the machine owns the session (confirmed to it); `local` creates the session of
 * a `local-session` event (false: the id is another machine's).
 */
export function applyEvent(
  store: Store,
  machineId: string,
  event: SessionEvent,
  owns: (sessionId: string) => boolean,
  local: (event: Static<typeof LocalSessionEvent>) => boolean = () => false,
): ApplyResult {
  return store.transaction((): ApplyResult => {
    const applied = appliedSeq(store, machineId);
    if (event.seq <= applied) return { kind: 'duplicate' };
    if (event.seq !== applied + 1) return { kind: 'gap', expected: applied + 1 };
    if (event.kind === 'local-session' ? !local(event) : !owns(event.sessionId)) return { kind: 'foreign' };
    const ended = applyKind(store, event);
    store.setMeta(appliedKey(machineId), String(event.seq));
    return { kind: 'applied', ended };
  });
}

const ms = (iso: unknown) => (typeof iso === 'string' ? Date.parse(iso) : NaN);

/** Returns true when the event ended the session. */
function applyKind(store: Store, e: SessionEvent): boolean {
  const row = store.get(flowsessionEntity, e.sessionId);
  if (!row) return false;
  const terminal = isTerminalStatus(Number(row['statuscode']));
  const update = (patch: Row) => {
    if (!terminal) store.update(flowsessionEntity, e.sessionId, patch);
  };
  switch (e.kind) {
    case 'started': {
      const wait = ms(e.startedon) - ms(row['createdon']);
      update({
        statuscode: 2,
        queuereason: null,
        startedon: e.startedon,
        runwaitduration: Number.isNaN(wait) ? null : Math.max(0, Math.round(wait)),
        ...(e.sessionusername ? { sessionusername: e.sessionusername } : {}),
        ...(e.processversion ? { processversion: e.processversion } : {}),
      });
      return false;
    }
    case 'log':
      appendFlowLogs(
        store,
        e.sessionId,
        e.lines.map((l) => ({ type: 'CustomLog' as const, level: l.level, name: l.stream, data: { stream: l.stream, message: l.message }, createdon: l.at })),
      );
      return false;
    case 'sample': {
      const last = e.samples[e.samples.length - 1]!;
      update({ machinepercentcpuusage: last.machineCpuPercent, machinepercentramusage: last.machineRamPercent, machineramusage: last.machineRamUsedMb });
      return false;
    }
    case 'outputs':
      update({ outputs: e.outputs });
      return false;
    case 'status':
      if (row['statuscode'] === 1 || row['statuscode'] === 2) update({ statuscode: e.statuscode });
      return false;
    case 'local-session':
      return false;
    case 'completed':
      finishSession(store, e.sessionId, {
        statuscode: e.statuscode,
        completedon: e.completedon,
        startedon: e.startedon ?? null,
        errorcode: e.errorcode ?? null,
        errormessage: e.errormessage ?? null,
        errordetails: e.errordetails ?? null,
        runexecutionduration: e.runexecutionduration ?? null,
        extra: {
          machinepercentcpuusage: e.machinepercentcpuusage ?? row['machinepercentcpuusage'] ?? null,
          machinepercentramusage: e.machinepercentramusage ?? row['machinepercentramusage'] ?? null,
          machineramusage: e.machineramusage ?? row['machineramusage'] ?? null,
        },
      });
      return true;
  }
}
