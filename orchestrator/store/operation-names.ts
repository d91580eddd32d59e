/**
 * How the names of the backgroundoperation rows flowhost runs itself begin: the respond-async bulk actions
 * (orchestrator/api/background-operations.ts) and the orchestrator's callback retries (orchestrator/callback/). A
 * client's `POST backgroundoperations` may not take them: the runners pick their rows up by these prefixes.
 */
export const OPERATION_NAME_PREFIX = { bulk: 'bulk:', callback: 'callback ' } as const;

export const isReservedOperationName = (name: string): boolean =>
  Object.values(OPERATION_NAME_PREFIX).some((prefix) => name.toLowerCase().startsWith(prefix));
