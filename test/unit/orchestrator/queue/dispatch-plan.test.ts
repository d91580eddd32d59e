import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QueueReason } from '../../../../shared/error-codes.js';
import { compareQueueOrder, freeSlots, indexMachines, isFifo, isUniform, machineBlocker, planDispatch, type MachineView, type PlanLine, type SessionView } from '../../../../orchestrator/queue/dispatch-plan.js';
import { partitionOf } from '../../../../orchestrator/queue/partitions.js';
import { agentState } from '../../../support/fake-agent.js';

const now = new Date('2030-01-01T00:00:00Z');
const state = agentState({ capacity: 4, freeSlots: 4 });
const machine = (id: string, over: Partial<MachineView> = {}): MachineView => ({
  id,
  groupId: 'g',
  statecode: 0,
  groupStatecode: 0,
  groupQueuingType: 1,
  sessioncapacity: 1,
  assigned: 0,
  live: state,
  ...over,
});
const session = (id: string, over: Partial<SessionView> = {}): SessionView => ({
  id,
  priority: 0,
  createdon: `2030-01-01T00:00:0${id.length % 10}Z`,
  scheduledfor: null,
  groupId: 'g',
  targetMachineId: null,
  runmode: 2,
  sessionusername: null,
  ...over,
});
const plan = (sessions: SessionView[], machines: MachineView[]) => planDispatch({ sessions, machines, now, cooldown: () => undefined });

describe('planDispatch', () => {
  it('says HigherPriorityFirst when an earlier session took the last slot, AllMachinesBusy when it was full already', () => {
    const p = plan([session('a', { priority: 5 }), session('bb')], [machine('m')]);
    expect(p.assign).toEqual([{ sessionId: 'a', machineId: 'm' }]);
    expect(p.reasons.get('bb')).toBe('HigherPriorityFirst');
    expect(plan([session('a')], [machine('m', { assigned: 1 })]).reasons.get('a')).toBe('AllMachinesBusy');
  });

  it('reports the reason of the machine that came closest', () => {
    const p = plan([session('a', { runmode: 1, sessionusername: 'x' })], [machine('off', { live: undefined }), machine('paused', { live: { ...state, paused: true } }), machine('on')]);
    expect(p.reasons.get('a')).toBe('AttendedUserNotSignedIn');
    expect(plan([session('a')], []).reasons.get('a')).toBe('GroupIsEmpty');
    expect(plan([session('a', { groupId: 'other' })], [machine('m')]).reasons.get('a')).toBe('GroupIsEmpty');
  });

  it('uses the smaller of the admin capacity and the agent capacity', () => {
    expect(freeSlots(machine('m', { sessioncapacity: 3, live: { ...state, capacity: 2 }, assigned: 1 }))).toBe(1);
    expect(freeSlots(machine('m', { live: undefined }))).toBe(0);
  });

  it('matches session users exactly (case-sensitive, as the agent does) and honours storageOk', () => {
    expect(machineBlocker(session('a', { sessionusername: 'bob' }), machine('m', { live: { ...state, sessionUsers: ['bob'] } }), now)).toBeUndefined();
    expect(machineBlocker(session('a', { sessionusername: 'Bob' }), machine('m', { live: { ...state, sessionUsers: ['bob'] } }), now)).toBe('SessionUserUnavailable');
    expect(machineBlocker(session('a'), machine('m', { live: { ...state, storageOk: false } }), now)).toBe('MachinesPausedOrDraining');
  });

  it('never assigns more sessions to a machine than it has free slots, nor a session twice', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ priority: fc.integer({ min: -5, max: 5 }), runmode: fc.constantFrom(0, 1, 2) }), { maxLength: 20 }),
        fc.array(fc.record({ cap: fc.integer({ min: 1, max: 3 }), assigned: fc.integer({ min: 0, max: 3 }), online: fc.boolean() }), { maxLength: 5 }),
        (ss, ms) => {
          const machines = ms.map((m, i) => machine(`m${i}`, { sessioncapacity: m.cap, assigned: m.assigned, live: m.online ? state : undefined }));
          const p = plan(ss.map((s, i) => session(`s${i}`, s)), machines);
          const ids = p.assign.map((a) => a.sessionId);
          expect(new Set(ids).size).toBe(ids.length);
          for (const m of machines) expect(p.assign.filter((a) => a.machineId === m.id).length).toBeLessThanOrEqual(freeSlots(m));
          for (const a of p.assign) expect(p.reasons.has(a.sessionId)).toBe(false);
        },
      ),
    );
  });

  it('gives the same plan through the per-group heap (plain sessions) as by asking every machine', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            priority: fc.integer({ min: -2, max: 2 }),
            runmode: fc.constantFrom(0, 1, 2, 2, 2),
            group: fc.constantFrom('g', 'h', null),
            target: fc.constantFrom(null, null, null, null, 0, 1, 6),
            user: fc.constantFrom(null, null, null, 'bob', 'eve'),
            scheduled: fc.boolean(),
          }),
          { maxLength: 25 },
        ),
        fc.array(
          fc.record({
            group: fc.constantFrom('g', 'h', null),
            cap: fc.integer({ min: 1, max: 3 }),
            liveCap: fc.integer({ min: 1, max: 3 }),
            assigned: fc.integer({ min: 0, max: 1 }),
            live: fc.constantFrom('on', 'on', 'off', 'paused', 'draining'),
            statecode: fc.constantFrom(0, 0, 0, 2),
            users: fc.subarray(['bob', 'eve']),
          }),
          { maxLength: 6 },
        ),
        (ss, ms) => {
          const machines = ms.map((m, i) =>
            machine(`m${i}`, {
              groupId: m.group,
              sessioncapacity: m.cap,
              assigned: m.assigned,
              statecode: m.statecode,
              live: m.live === 'off' ? undefined : { ...state, capacity: m.liveCap, paused: m.live === 'paused', draining: m.live === 'draining', sessionUsers: m.users },
            }),
          );
          const sessions = ss.map((s, i) =>
            session(`s${i}`, {
              priority: s.priority,
              runmode: s.runmode,
              groupId: s.group,
              targetMachineId: s.target === null ? null : `m${s.target}`,
              sessionusername: s.user,
              scheduledfor: s.scheduled ? '2031-01-01T00:00:00Z' : null,
            }),
          );
          const everyMachine = planDispatch({ sessions, machines, now, cooldown: () => undefined });
          const heap = planDispatch({ sessions, machines, now, cooldown: () => undefined, hasCooldown: () => false });
          expect(heap.assign).toEqual(everyMachine.assign);
          expect([...heap.reasons].sort()).toEqual([...everyMachine.reasons].sort());
        },
      ),
      { numRuns: 500 },
    );
  });

  it('gives the same answer when a line stops at its settle point as when it walks every session', () => {
    const reasons = Object.values(QueueReason);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            priority: fc.integer({ min: -1, max: 1 }),
            runmode: fc.constantFrom(0, 1, 2, 2, 2, 2),
            group: fc.constantFrom('g', 'g', 'g', 'h', null),
            target: fc.constantFrom(null, null, null, null, null, 0, 1, 4),
            user: fc.constantFrom(null, null, null, null, 'bob'),
            scheduled: fc.constantFrom(false, false, false, true),
            cooling: fc.constantFrom(false, false, false, true),
            // The stored reason: mostly what a full walk answers (a settled backlog), else anything.
            stored: fc.constantFrom(-1, -1, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
          }),
          { maxLength: 30 },
        ),
        fc.array(
          fc.record({
            group: fc.constantFrom('g', 'g', 'h', null),
            cap: fc.integer({ min: 1, max: 2 }),
            assigned: fc.integer({ min: 0, max: 2 }),
            live: fc.constantFrom('on', 'on', 'on', 'off', 'paused'),
            users: fc.subarray(['bob']),
          }),
          { maxLength: 4 },
        ),
        fc.constantFrom(-1, -1, 0, 6, 7),
        (ss, ms, common) => {
          const machines = ms.map((m, i) =>
            machine(`m${i}`, { groupId: m.group, sessioncapacity: m.cap, assigned: m.assigned, live: m.live === 'off' ? undefined : { ...state, capacity: 2, paused: m.live === 'paused', sessionUsers: m.users } }),
          );
          const index = indexMachines(machines);
          const sessions = ss.map((s, i) =>
            session(`s${i}`, { priority: s.priority, runmode: s.runmode, groupId: s.group, targetMachineId: s.target === null ? null : `m${s.target}`, sessionusername: s.user, scheduledfor: s.scheduled ? '2031-01-01T00:00:00Z' : null }),
          );
          const cooling = new Set(sessions.filter((_, i) => ss[i]!.cooling).map((s) => s.id));
          const input = { machines, index, now, cooldown: () => undefined, hasCooldown: (id: string) => cooling.has(id) };
          const full = planDispatch({ ...input, sessions });
          const stored = new Map(sessions.map((s, i) => [s.id, ss[i]!.stored === -1 ? (full.reasons.get(s.id) ?? null) : reasons[ss[i]!.stored]!]));
          const byLine = new Map<string, SessionView[]>();
          for (const s of sessions) byLine.set(partitionOf(s, index.byId), [...(byLine.get(partitionOf(s, index.byId)) ?? []), s]);
          const lines: PlanLine[] = [...byLine].map(([key, list]) => {
            const reason = common === -1 ? (full.settled.get(key) ?? null) : reasons[common]!;
            const uniform = (s: SessionView) => isUniform(s, cooling.has(s.id), !!s.targetMachineId && !!index.byId.get(s.targetMachineId)?.groupId);
            return {
              key,
              sessions: list.sort((a, b) => compareQueueOrder(a, b, isFifo(key, index))),
              settled: { reason, exceptions: list.filter((s) => !uniform(s) || stored.get(s.id) !== reason) },
            };
          });
          const early = planDispatch({ ...input, lines });
          expect(early.assign).toEqual(full.assign);
          // A session the early walk skipped keeps its stored reason, which must be the full walk's answer.
          for (const s of sessions) expect(early.reasons.get(s.id) ?? stored.get(s.id) ?? null).toEqual(full.reasons.get(s.id) ?? stored.get(s.id) ?? null);
          expect(early.visited).toBeLessThanOrEqual(full.visited);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('looks at the head of a settled backlog and its exceptions only, however long the backlog', () => {
    const visited = (n: number) => {
      const sessions = Array.from({ length: n }, (_, i) => session(`s${String(i).padStart(6, '0')}`, { createdon: `2030-01-01T00:00:00.${String(i % 1000).padStart(3, '0')}Z` }));
      const special = session('special', { sessionusername: 'bob', createdon: '2030-01-01T00:00:01Z' });
      const lines: PlanLine[] = [{ key: 'g', sessions: [...sessions, special], settled: { reason: 'HigherPriorityFirst', exceptions: [special] } }];
      const p = planDispatch({ lines, machines: [machine('m', { sessioncapacity: 2 })], now, cooldown: () => undefined, hasCooldown: () => false });
      expect(p.assign.map((a) => a.sessionId)).toEqual(['s000000', 's000001']);
      expect(p.settled.get('g')).toBe('HigherPriorityFirst');
      return p.visited;
    };
    expect(visited(10_000)).toBe(visited(10));
    expect(visited(10)).toBe(3);
  });
});
