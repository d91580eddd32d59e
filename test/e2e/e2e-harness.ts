import { processExists } from '../../main/agent/process/process-exists.js';
import { fixture } from '../support/api-harness.js';

/**
 * Small helpers of the end-to-end and reliability tests; the orchestrator, its Web API and the agents come from
 * test/support/ (api-harness.ts, orchestrator-harness.ts, real-agent.ts).
 */
export { fixture };

/** The agents' logger (silent unless FLOWHOST_E2E_LOG); the reliability suite uses it too. */
export { testAgentLogger as e2eLogger } from '../support/real-agent.js';

/** Whether a process exists (signal 0). */
export const alive = processExists;
