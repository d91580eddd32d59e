import type { MachineRecord, SessionView } from './machine-eligibility.js';

/**
 * Sessions compete only for the machines of one partition. Its key is a group id, `#<machine id>` for a machine
 * without a group (or a target that is not a known machine), or `#` for sessions with neither target nor group.
 */

/** Machines found by id: the queue's directory, or a planner index's `byId`. */
export interface MachinesById {
  get(machineId: string): Pick<MachineRecord, 'id' | 'groupId'> | undefined;
}

/** A group's partition: its key is the group id. The others are `#<machine id>` (one machine) or `#` (nothing). */
export const isGroupPartition = (key: string): boolean => !key.startsWith('#');

/** The machine a one-machine partition (`#<machine id>`) holds; undefined for a group's or for `#`. */
export const machineOfPartition = (key: string): string | undefined => (!isGroupPartition(key) && key.length > 1 ? key.slice(1) : undefined);

/** The partition of a machine: its group, or a partition of its own. */
export const machinePartition = (m: Pick<MachineRecord, 'id' | 'groupId'>): string => m.groupId ?? `#${m.id}`;

/** The partition of machine `machineId`; one not (or no longer) known is a machine without a group. */
export const partitionOfMachine = (machineId: string, machines: MachinesById): string =>
  machinePartition(machines.get(machineId) ?? { id: machineId, groupId: null });

/**
 * The partition of a session: where its candidates come from, and whom it competes with for slots. A session targeted
 * at a machine belongs to that machine's partition, so it is planned with the group's sessions that share its slots.
 */
export const partitionOf = (s: Pick<SessionView, 'targetMachineId' | 'groupId'>, machines: MachinesById): string =>
  s.targetMachineId ? partitionOfMachine(s.targetMachineId, machines) : (s.groupId ?? '#');
