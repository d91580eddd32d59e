/** The `meta` keys of the queue's state, the same in both engines: renaming one loses the state of a running fleet. */
export const appliedKey = (machineId: string) => `gateway.appliedseq.${machineId}`;
export const assignmentKey = (sessionId: string) => `queue.assignment.${sessionId}`;
export const targetKey = (sessionId: string) => `queue.target.${sessionId}`;
export const cancelKey = (sessionId: string) => `queue.cancel.${sessionId}`;
export const MASKED_AT_REST = 'secretinputs.masked';
export const IDENTITY_KEYS = { organizationId: 'identity.organizationid', businessUnitId: 'identity.businessunitid', userId: 'identity.userid' } as const;
