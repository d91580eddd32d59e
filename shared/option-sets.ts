/**
 * Option sets of the record model: integers on the wire, labels for `Prefer: odata.include-annotations`. Values and
 * labels are exactly those of Microsoft's entity references (learn.microsoft.com/power-apps/developer/data-platform/
 * reference/entities/<table>), pinned by test/unit/shared/option-sets.test.ts. Code refers to a value by its name:
 * the label itself, or its spaceless form where the label has spaces (e.g. `WaitingForResources`).
 */

export interface OptionSet<V extends number = number> {
  readonly values: Readonly<Record<string, V>>;
  readonly labels: ReadonlyMap<number, string>;
}

function optionSet<const T extends Record<string, number>>(
  values: T,
  spacedLabels: Partial<Record<keyof T, string>> = {},
): OptionSet<T[keyof T]> & { readonly v: T } {
  const labels = new Map<number, string>();
  for (const [name, value] of Object.entries(values)) labels.set(value, spacedLabels[name as keyof T] ?? name);
  return { values: values as unknown as Readonly<Record<string, T[keyof T]>>, labels, v: values };
}

export const RunMode = optionSet({ Local: 0, Attended: 1, Unattended: 2 });
export const RunSessionMode = optionSet({ Unapplicable: 0, Default: 1, PictureInPicture: 2 });
/** flowhost never writes Cua (a computer-use agent's run); it is listed because Microsoft's reference lists it. */
export const TriggerType = optionSet({ ApiFlow: 0, DesktopFlow: 1, Local: 2, RunDesktopFlowDataverseApi: 3, Cua: 4 });

export const SessionState = optionSet({ Active: 0, Inactive: 1 });
export const SessionStatus = optionSet({
  NotSpecified: 0,
  Paused: 1,
  Running: 2,
  Waiting: 3,
  Succeeded: 4,
  Skipped: 5,
  Suspended: 6,
  Cancelled: 7,
  Failed: 8,
  Faulted: 9,
  TimedOut: 10,
  Aborted: 11,
  Ignored: 12,
  Deleted: 13,
  Terminated: 14,
});

const S = SessionStatus.v;
/** Terminal statuses: a session in one of these never changes status again. */
export const TERMINAL_STATUSES: ReadonlySet<number> = new Set([S.Succeeded, S.Skipped, S.Cancelled, S.Failed, S.Faulted, S.TimedOut, S.Aborted, S.Ignored, S.Deleted, S.Terminated]);
export const isTerminalStatus = (statuscode: number): boolean => TERMINAL_STATUSES.has(statuscode);
/** statecode that belongs to a statuscode: Deleted and Terminated (and NotSpecified) are Inactive, the rest Active. */
export const stateForStatus = (statuscode: number): 0 | 1 =>
  statuscode === S.NotSpecified || statuscode === S.Deleted || statuscode === S.Terminated ? SessionState.v.Inactive : SessionState.v.Active;

export const MachineState = optionSet({ Active: 0, Inactive: 1, Maintenance: 2 });
/** flowhost sets 1–5 (DrainMode under Maintenance); the rest are Microsoft's hosted-machine statuses, listed for their labels. */
export const MachineStatus = optionSet({
  Active: 1,
  Inactive: 2,
  RequiresReconnection: 3,
  ManualMaintenance: 4,
  DrainMode: 5,
  ToDelete: 6,
  Temporary: 7,
  Error: 8,
  Disabled: 9,
  Provisioning: 10,
  RequiresGroupKey: 11,
  ProvisionedWithError: 12,
  HostedMachineOvercapacity: 13,
  HostedMachineOvercapacityDeleted: 14,
  HostedMachineOvercapacityDisabled: 15,
});
export const MachineGroupState = optionSet({ Active: 0, Inactive: 1, Maintenance: 2 });
/** flowhost creates groups Active (1) and changes only their statecode. */
export const MachineGroupStatus = optionSet({
  Active: 1,
  Inactive: 2,
  ManualMaintenance: 3,
  KeyExpired: 4,
  HmgIslandMove: 5,
  Quarantined: 6,
  HmgCmkOperation: 7,
});
/** 1: priority first, then first in first out (what flowhost does with it). */
export const QueuingType = optionSet({ FIFO: 0, ExtendedQueuePrioritization: 1 });

/** flowhost's workflows are all desktop flows (6); the rest are listed for their labels. */
export const WorkflowCategory = optionSet(
  { Workflow: 0, Dialog: 1, BusinessRule: 2, Action: 3, BusinessProcessFlow: 4, ModernFlow: 5, DesktopFlow: 6, AIFlow: 7 },
  { BusinessRule: 'Business Rule', BusinessProcessFlow: 'Business Process Flow', ModernFlow: 'Modern Flow', DesktopFlow: 'Desktop Flow', AIFlow: 'AI Flow' },
);
/**
 * workflow statecode as flowhost uses it (the record carries no option set): an Inactive workflow is not served to
 * agents. Microsoft's workflow statecode is 0 Draft, 1 Activated, 2 Suspended; not mapped yet (see docs/api.md).
 */
export const WorkflowState = optionSet({ Active: 0, Inactive: 1 });

/** flowlog `level` (Dataverse's; the agent's log lines carry their own wire level, see shared/protocol.ts `WireLogLevel`). */
export const FlowLogLevel = optionSet({
  Verbose: 100000000,
  Debug: 100000001,
  Info: 100000002,
  Warning: 100000003,
  Error: 100000004,
});
/** flowlog `type`. flowhost writes CustomLog, DesktopFlowRunQueued … DesktopFlowRunQueueRunCompleted (docs/api.md). */
export const LogType = optionSet({
  CustomLog: 100000000,
  DesktopFlowRunAction: 100000001,
  DesktopFlowRunQueuePriorityChanged: 100000002,
  DesktopFlowRunQueued: 100000003,
  DesktopFlowRunQueueAssigned: 100000004,
  DesktopFlowRunQueueAssignFailed: 100000005,
  DesktopFlowRunQueueRunConfirmed: 100000006,
  DesktopFlowRunQueueRunCompleted: 100000007,
  DesktopFlowRunUnattendedRepairUISelectorRequest: 100000100,
  DesktopFlowRunUnattendedRepairUISelectorResponse: 100000101,
  WorkqueueFlowSession: 100000200,
  WorkqueueProcessorLog: 100000201,
  DesktopFlowOrchestrationRepairSessionMismatchRequest: 100000300,
  DesktopFlowOrchestrationRepairSessionMismatchResponse: 100000301,
  DesktopFlowOrchestrationRepairWindowsIdentityIncorrectRequest: 100000310,
  DesktopFlowOrchestrationRepairWindowsIdentityIncorrectResponse: 100000311,
});


export const BackgroundOperationState = optionSet({ Ready: 0, Locked: 2, Completed: 3 });
export const BackgroundOperationStatus = optionSet(
  { WaitingForResources: 0, InProgress: 20, Canceling: 22, Succeeded: 30, Failed: 31, Canceled: 32 },
  { WaitingForResources: 'Waiting For Resources', InProgress: 'In Progress' },
);

/** What a schedule does with due times that passed while no orchestrator ran it (docs/schedules.md). */
export const MisfirePolicy = optionSet({ Skip: 0, RunOnce: 1 });

/** Named priorities of `RunDesktopFlow` `runPriority`. */
export const Priority = { normal: 0, high: 100 } as const;
