import { describe, expect, it } from 'vitest';
import { isGroupPartition, machineOfPartition, partitionOf, partitionOfMachine } from '../../../../orchestrator/queue/partitions.js';

const machines = new Map([
  ['m-grouped', { id: 'm-grouped', groupId: 'g1' }],
  ['m-loose', { id: 'm-loose', groupId: null }],
]);

describe('queue partitions', () => {
  it('puts a session where its candidate machines are: the target machine’s partition, else its group, else #', () => {
    expect(partitionOf({ targetMachineId: 'm-grouped', groupId: null }, machines)).toBe('g1');
    expect(partitionOf({ targetMachineId: 'm-loose', groupId: 'g1' }, machines)).toBe('#m-loose');
    expect(partitionOf({ targetMachineId: 'm-unknown', groupId: null }, machines)).toBe('#m-unknown');
    expect(partitionOf({ targetMachineId: null, groupId: 'g2' }, machines)).toBe('g2');
    expect(partitionOf({ targetMachineId: null, groupId: null }, machines)).toBe('#');
    expect(partitionOfMachine('m-grouped', machines)).toBe('g1');
  });

  it('reads a key back: a group’s, one machine’s, or the partition of nothing', () => {
    expect([isGroupPartition('g1'), machineOfPartition('g1')]).toEqual([true, undefined]);
    expect([isGroupPartition('#m-loose'), machineOfPartition('#m-loose')]).toEqual([false, 'm-loose']);
    expect([isGroupPartition('#'), machineOfPartition('#')]).toEqual([false, undefined]);
  });
});
