import { describe, expect, it } from 'vitest';
import { FLOWLOG_LEVEL_OF_WIRE, flowLogLevelOfWire } from '../../../shared/flowlog-level.js';
import * as O from '../../../shared/option-sets.js';
import { LogLine, WireLogLevel } from '../../../shared/protocol.js';
import { changedStoredValue, STORED_VALUE_CHANGES } from '../../../shared/stored-value-changes.js';
import { validator } from '../../../shared/validate.js';

const table = (set: O.OptionSet) => Object.fromEntries([...set.labels].map(([value, label]) => [value, label]));

/**
 * Each table below is the "Choices/Options" section of Microsoft's entity reference, copied value by value and label by
 * label (source: github.com/MicrosoftDocs/powerapps-docs, powerapps-docs/developer/data-platform/reference/entities/
 * <table>.md, the generated-reference version, which every locale of the page renders).
 */

describe("option sets are Microsoft's", () => {
  // https://learn.microsoft.com/en-us/power-apps/developer/data-platform/reference/entities/flowsession — RunMode, RunSessionMode, TriggerType, statecode, statuscode Choices/Options.
  it('flowsession', () => {
    expect(table(O.RunMode)).toEqual({ 0: 'Local', 1: 'Attended', 2: 'Unattended' });
    expect(table(O.RunSessionMode)).toEqual({ 0: 'Unapplicable', 1: 'Default', 2: 'PictureInPicture' });
    expect(table(O.TriggerType)).toEqual({ 0: 'ApiFlow', 1: 'DesktopFlow', 2: 'Local', 3: 'RunDesktopFlowDataverseApi', 4: 'Cua' });
    expect(table(O.SessionState)).toEqual({ 0: 'Active', 1: 'Inactive' });
    expect(table(O.SessionStatus)).toEqual({
      0: 'NotSpecified', 1: 'Paused', 2: 'Running', 3: 'Waiting', 4: 'Succeeded', 5: 'Skipped', 6: 'Suspended', 7: 'Cancelled',
      8: 'Failed', 9: 'Faulted', 10: 'TimedOut', 11: 'Aborted', 12: 'Ignored', 13: 'Deleted', 14: 'Terminated',
    });
    // statuscode → State column of the same table.
    expect([0, 13, 14].map(O.stateForStatus)).toEqual([1, 1, 1]);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map(O.stateForStatus)).toEqual(Array(12).fill(0));
    expect([...O.TERMINAL_STATUSES].sort((a, b) => a - b)).toEqual([4, 5, 7, 8, 9, 10, 11, 12, 13, 14]);
  });

  // https://learn.microsoft.com/en-us/power-apps/developer/data-platform/reference/entities/flowmachine — statecode, statuscode Choices/Options (DrainMode is 5 under statecode 2 Maintenance).
  it('flowmachine', () => {
    expect(table(O.MachineState)).toEqual({ 0: 'Active', 1: 'Inactive', 2: 'Maintenance' });
    expect(table(O.MachineStatus)).toEqual({
      1: 'Active', 2: 'Inactive', 3: 'RequiresReconnection', 4: 'ManualMaintenance', 5: 'DrainMode', 6: 'ToDelete', 7: 'Temporary',
      8: 'Error', 9: 'Disabled', 10: 'Provisioning', 11: 'RequiresGroupKey', 12: 'ProvisionedWithError', 13: 'HostedMachineOvercapacity',
      14: 'HostedMachineOvercapacityDeleted', 15: 'HostedMachineOvercapacityDisabled',
    });
  });

  // https://learn.microsoft.com/en-us/power-apps/developer/data-platform/reference/entities/flowmachinegroup — statecode, statuscode, PreferredQueuingType Choices/Options.
  it('flowmachinegroup', () => {
    expect(table(O.MachineGroupState)).toEqual({ 0: 'Active', 1: 'Inactive', 2: 'Maintenance' });
    expect(table(O.MachineGroupStatus)).toEqual({ 1: 'Active', 2: 'Inactive', 3: 'ManualMaintenance', 4: 'KeyExpired', 5: 'HmgIslandMove', 6: 'Quarantined', 7: 'HmgCmkOperation' });
    expect(table(O.QueuingType)).toEqual({ 0: 'FIFO', 1: 'ExtendedQueuePrioritization' });
  });

  // https://learn.microsoft.com/en-us/power-apps/developer/data-platform/reference/entities/workflow — Category Choices/Options.
  it('workflow category', () => {
    expect(table(O.WorkflowCategory)).toEqual({ 0: 'Workflow', 1: 'Dialog', 2: 'Business Rule', 3: 'Action', 4: 'Business Process Flow', 5: 'Modern Flow', 6: 'Desktop Flow', 7: 'AI Flow' });
  });

  // https://learn.microsoft.com/en-us/power-apps/developer/data-platform/reference/entities/flowlog — level, type Choices/Options.
  it('flowlog level and type', () => {
    expect(table(O.FlowLogLevel)).toEqual({ 100000000: 'Verbose', 100000001: 'Debug', 100000002: 'Info', 100000003: 'Warning', 100000004: 'Error' });
    expect(table(O.LogType)).toEqual({
      100000000: 'CustomLog',
      100000001: 'DesktopFlowRunAction',
      100000002: 'DesktopFlowRunQueuePriorityChanged',
      100000003: 'DesktopFlowRunQueued',
      100000004: 'DesktopFlowRunQueueAssigned',
      100000005: 'DesktopFlowRunQueueAssignFailed',
      100000006: 'DesktopFlowRunQueueRunConfirmed',
      100000007: 'DesktopFlowRunQueueRunCompleted',
      100000100: 'DesktopFlowRunUnattendedRepairUISelectorRequest',
      100000101: 'DesktopFlowRunUnattendedRepairUISelectorResponse',
      100000200: 'WorkqueueFlowSession',
      100000201: 'WorkqueueProcessorLog',
      100000300: 'DesktopFlowOrchestrationRepairSessionMismatchRequest',
      100000301: 'DesktopFlowOrchestrationRepairSessionMismatchResponse',
      100000310: 'DesktopFlowOrchestrationRepairWindowsIdentityIncorrectRequest',
      100000311: 'DesktopFlowOrchestrationRepairWindowsIdentityIncorrectResponse',
    });
  });

  // https://learn.microsoft.com/en-us/power-apps/developer/data-platform/reference/entities/backgroundoperation (and seed 002) — StateCode, StatusCode Choices/Options, labels with their spaces.
  it('backgroundoperation', () => {
    expect(table(O.BackgroundOperationState)).toEqual({ 0: 'Ready', 2: 'Locked', 3: 'Completed' });
    expect(table(O.BackgroundOperationStatus)).toEqual({ 0: 'Waiting For Resources', 20: 'In Progress', 22: 'Canceling', 30: 'Succeeded', 31: 'Failed', 32: 'Canceled' });
  });

  it("flowhost's own: runPriority names", () => {
    expect(O.Priority).toEqual({ normal: 0, high: 100 });
  });
});

describe('log levels: the wire keeps its numbers, flowlogs get Dataverse', () => {
  it('the wire level enum is frozen at the numbers agents send', () => {
    expect(WireLogLevel).toEqual({ Verbose: 100000000, Information: 100000001, Warning: 100000002, Important: 100000003, Error: 100000004 });
    const line = validator(LogLine);
    for (const level of Object.values(WireLogLevel)) expect(() => line.parse({ seq: 0, level, stream: 'stdout', at: new Date(0).toISOString(), message: '' }, 'line')).not.toThrow();
    for (const level of [99999999, 100000005]) expect(() => line.parse({ seq: 0, level, stream: 'stdout', at: new Date(0).toISOString(), message: '' }, 'line')).toThrow();
  });

  it('maps every wire level to the Dataverse level that means it, keeping their order', () => {
    const mapped = Object.fromEntries(Object.entries(WireLogLevel).map(([name, value]) => [name, O.FlowLogLevel.labels.get(flowLogLevelOfWire(value))]));
    expect(mapped).toEqual({ Verbose: 'Verbose', Information: 'Info', Warning: 'Warning', Important: 'Warning', Error: 'Error' });
    expect(Object.keys(FLOWLOG_LEVEL_OF_WIRE).sort()).toEqual(Object.keys(WireLogLevel).sort());
    const ordered = Object.values(WireLogLevel).sort((a, b) => a - b).map(flowLogLevelOfWire);
    expect(ordered).toEqual([...ordered].sort((a, b) => a - b));
  });

  it('stored flowlog levels are rewritten as new lines are mapped; nothing else changes', () => {
    expect(STORED_VALUE_CHANGES).toEqual([{ table: 'flowlogs', column: 'level', changes: [[100000001, 100000002], [100000002, 100000003]] }]);
    for (const value of Object.values(WireLogLevel)) expect(changedStoredValue('flowlogs', 'level', value)).toBe(flowLogLevelOfWire(value));
    expect(changedStoredValue('flowlogs', 'type', 100000003)).toBe(100000003);
    expect(changedStoredValue('flowsessions', 'triggertype', 4)).toBe(4);
  });
});
