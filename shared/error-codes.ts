/** Error codes a session or a reject carries (`errorcode`). One list, used by both programs. */
export const ErrorCode = {
  NoCandidateMachine: 'NoCandidateMachine',
  SessionUserUnavailable: 'SessionUserUnavailable',
  AttendedUserNotSignedIn: 'AttendedUserNotSignedIn',
  RunModeUnsupported: 'RunModeUnsupported',
  NoFreeSlot: 'NoFreeSlot',
  AgentPaused: 'AgentPaused',
  AgentDraining: 'AgentDraining',
  AgentRestarted: 'AgentRestarted',
  /** A session confirmed to a machine whose agent reconnected without it (data dir wiped, store lost). */
  AgentLostSession: 'AgentLostSession',
  FlowExitCode: 'FlowExitCode',
  FlowStartFailed: 'FlowStartFailed',
  /** The session needed a display (a virtual one for Unattended, the signed-in user's for Attended) and got none. */
  DisplayUnavailable: 'DisplayUnavailable',
  FlowDefinitionInvalid: 'FlowDefinitionInvalid',
  OutputsInvalid: 'OutputsInvalid',
  RunTimeout: 'RunTimeout',
  Cancelled: 'Cancelled',
  CallbackUrlRefused: 'CallbackUrlRefused',
  CallbackFailed: 'CallbackFailed',
  StorageUnavailable: 'StorageUnavailable',
  /** The agent's upstream outbox holds more unacked events than its cap: it takes no new work until it drains. */
  OutboxFull: 'OutboxFull',
  /** The offer needs a feature (a flow kind, an assign field) the machine's agent did not declare (shared/protocol-features.ts). */
  FeatureUnsupported: 'FeatureUnsupported',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Why a waiting session is still waiting; shown as `queuereason` on the session. */
export const QueueReason = {
  Scheduled: 'Scheduled',
  /** The next attempt of a session its retry policy tries again (shared/retry-policy.ts), held until `scheduledfor`. */
  RetryScheduled: 'RetryScheduled',
  NoMachineConnected: 'NoMachineConnected',
  GroupIsEmpty: 'GroupIsEmpty',
  AllMachinesBusy: 'AllMachinesBusy',
  MachinesPausedOrDraining: 'MachinesPausedOrDraining',
  MachineInMaintenance: 'MachineInMaintenance',
  AttendedUserNotSignedIn: 'AttendedUserNotSignedIn',
  SessionUserUnavailable: 'SessionUserUnavailable',
  WaitingForConfirmation: 'WaitingForConfirmation',
  HigherPriorityFirst: 'HigherPriorityFirst',
  /** The machines that could take it lack a feature it needs (their agents are older than its flow kind or fields). */
  FeatureUnsupported: 'FeatureUnsupported',
  /** The machines cannot give its run mode a display now (e.g. virtualDisplay on, Xvfb missing). */
  DisplayUnavailable: 'DisplayUnavailable',
} as const;
export type QueueReason = (typeof QueueReason)[keyof typeof QueueReason];
