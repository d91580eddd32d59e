/**
 * Option sets of the record model: integers on the wire, display names for
 * `Prefer: odata.include-annotations`. Values are exactly those of the design brief.
 */

export interface OptionSet<V extends number = number> {
  readonly values: Readonly<Record<string, V>>;
  readonly labels: ReadonlyMap<number, string>;
}

function optionSet<const T extends Record<string, number>>(values: T): OptionSet<T[keyof T]> & { readonly v: T } {
  const labels = new Map<number, string>();
  for (const [label, value] of Object.entries(values)) labels.set(value, label);
  return { values: values as unknown as Readonly<Record<string, T[keyof T]>>, labels, v: values };
}

export const RunMode = optionSet({ Local: 0, Attended: 1, Unattended: 2 });
export const RunSessionMode = optionSet({ Unapplicable: 0, Default: 1, PictureInPicture: 2 });
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
export const MachineStatus = optionSet({
  Active: 1,
  Inactive: 2,
  RequiresReconnection: 3,
  ManualMaintenance: 4,
  DrainMode: 5,
});
export const MachineGroupState = optionSet({ Active: 0, Inactive: 1, Maintenance: 2 });
/** The status a group is created with (the record's statuscode carries no option set). */
export const MachineGroupStatus = optionSet({ Active: 1 });
export const QueuingType = optionSet({ FIFO: 0, PriorityThenFIFO: 1 });

export const WorkflowCategory = optionSet({ DesktopFlow: 6 });
/** workflow statecode (the record carries no option set): an Inactive workflow is not served to agents. */
export const WorkflowState = optionSet({ Active: 0, Inactive: 1 });

export const LogLevel = optionSet({
  Verbose: 100000000,
  Information: 100000001,
  Warning: 100000002,
  Important: 100000003,
  Error: 100000004,
});
export const LogType = optionSet({
  CustomLog: 100000000,
  DesktopFlowRunAction: 100000001,
  Queued: 100000003,
  QueueAssigned: 100000004,
  AssignFailed: 100000005,
  RunConfirmed: 100000006,
  RunCompleted: 100000007,
});

export const BackgroundOperationState = optionSet({ Ready: 0, Locked: 2, Completed: 3 });
export const BackgroundOperationStatus = optionSet({
  WaitingForResources: 0,
  InProgress: 20,
  Canceling: 22,
  Succeeded: 30,
  Failed: 31,
  Canceled: 32,
});

/** What a schedule does with due times that passed while no orchestrator ran it (docs/schedules.md). */
export const MisfirePolicy = optionSet({ Skip: 0, RunOnce: 1 });

/** Named priorities of `RunDesktopFlow` `runPriority`. */
export const Priority = { normal: 0, high: 100 } as const;
