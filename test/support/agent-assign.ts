import { randomUUID } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import type { Assign } from '../../shared/protocol.js';
import type { FlowDefinition } from '../../shared/flow-definition.js';

type AssignFrame = Static<typeof Assign>;

/** An assign frame for agent-core tests; every field can be overridden. */
export function makeAssign(
  overrides: { flow?: FlowDefinition; inputs?: unknown; secretInputs?: string[]; outputschema?: unknown; session?: Partial<AssignFrame['session']> } = {},
): AssignFrame {
  const id = overrides.session?.flowsessionid ?? randomUUID();
  return {
    type: 'assign',
    session: {
      flowsessionid: id,
      name: 'test session',
      workflowid: randomUUID(),
      runmode: 2,
      priority: 0,
      timeout: 60,
      createdon: new Date().toISOString(),
      ...overrides.session,
    },
    flow: overrides.flow ?? { schemaversion: 1, kind: 'command', argv: [process.execPath, '-e', 'console.log("hi")'] },
    inputs: JSON.stringify(overrides.inputs ?? {}),
    secretInputs: overrides.secretInputs ?? [],
    ...(overrides.outputschema !== undefined ? { outputschema: JSON.stringify(overrides.outputschema) } : {}),
  };
}
