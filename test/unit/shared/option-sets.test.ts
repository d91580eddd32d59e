import { describe, expect, it } from 'vitest';
import * as O from '../../../shared/option-sets.js';

const table = (set: O.OptionSet) => Object.fromEntries([...set.labels].map(([value, label]) => [value, label]));

/** The option sets exactly as DESIGN.md gives them: integers on the wire, display names for annotations. */
describe('option sets', () => {
  it('session run mode, session mode and trigger type', () => {
    expect(table(O.RunMode)).toEqual({ 0: 'Local', 1: 'Attended', 2: 'Unattended' });
    expect(table(O.RunSessionMode)).toEqual({ 0: 'Unapplicable', 1: 'Default', 2: 'PictureInPicture' });
    expect(table(O.TriggerType)).toEqual({ 0: 'ApiFlow', 1: 'DesktopFlow', 2: 'Local', 3: 'RunDesktopFlowDataverseApi', 4: 'Cua' });
  });

  it('session state and status, with the terminal ones', () => {
    expect(table(O.SessionState)).toEqual({ 0: 'Active', 1: 'Inactive' });
    expect(table(O.SessionStatus)).toEqual({
      0: 'NotSpecified', 1: 'Paused', 2: 'Running', 3: 'Waiting', 4: 'Succeeded', 5: 'Skipped', 6: 'Suspended', 7: 'Cancelled',
      8: 'Failed', 9: 'Faulted', 10: 'TimedOut', 11: 'Aborted', 12: 'Ignored', 13: 'Deleted', 14: 'Terminated',
    });
    expect([...O.TERMINAL_STATUSES].sort((a, b) => a - b)).toEqual([4, 5, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect([0, 13, 14].map(O.stateForStatus)).toEqual([1, 1, 1]);
    expect([1, 2, 3, 4, 8].map(O.stateForStatus)).toEqual([0, 0, 0, 0, 0]);
  });

  it('machines, groups and workflows', () => {
    expect(table(O.MachineState)).toEqual({ 0: 'Active', 1: 'Inactive', 2: 'Maintenance' });
    expect(table(O.MachineStatus)).toEqual({ 1: 'Active', 2: 'Inactive', 3: 'RequiresReconnection', 4: 'ManualMaintenance', 5: 'DrainMode' });
    expect(table(O.MachineGroupState)).toEqual({ 0: 'Active', 1: 'Inactive', 2: 'Maintenance' });
    expect(table(O.QueuingType)).toEqual({ 0: 'FIFO', 1: 'PriorityThenFIFO' });
    expect(table(O.WorkflowCategory)).toEqual({ 6: 'DesktopFlow' });
    expect(O.Priority).toEqual({ normal: 0, high: 100 });
  });

  it('flowlog level and type', () => {
    expect(table(O.LogLevel)).toEqual({ 100000000: 'Verbose', 100000001: 'Information', 100000002: 'Warning', 100000003: 'Important', 100000004: 'Error' });
    expect(table(O.LogType)).toEqual({
      100000000: 'CustomLog', 100000001: 'DesktopFlowRunAction', 100000003: 'Queued', 100000004: 'QueueAssigned',
      100000005: 'AssignFailed', 100000006: 'RunConfirmed', 100000007: 'RunCompleted',
    });
  });

  it('background operations', () => {
    expect(table(O.BackgroundOperationState)).toEqual({ 0: 'Ready', 2: 'Locked', 3: 'Completed' });
    expect(table(O.BackgroundOperationStatus)).toEqual({ 0: 'WaitingForResources', 20: 'InProgress', 22: 'Canceling', 30: 'Succeeded', 31: 'Failed', 32: 'Canceled' });
  });
});
