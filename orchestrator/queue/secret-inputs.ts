import { maskSecretInputs, secretInputsOf, sessionMasker, type Masker } from '../../shared/secret-mask.js';
import { isTerminalStatus } from '../../shared/option-sets.js';
import type { FlowSession, Workflow } from '../../shared/records/index.js';
import type { Repositories, Store } from '../store/store.js';
import { parseStoredJson } from './stored-json.js';

/**
 * Where a session's secret inputs live on the orchestrator. `inputs` (what every read, `$filter` and `$select`
 * sees) holds them masked from the start; the clear inputs are kept in the hidden field `secretinputs` only while
 * the session can still be assigned, and dropped when it ends (session-finish.ts). A session without secret inputs
 * has no `secretinputs`.
 */

/** The stored form of a new session's inputs (already validated): `inputs` masked and, when any is secret, the clear text. */
export function storedInputs(inputschema: unknown, inputsText: string): { inputs: string; secretinputs?: string } {
  const entries = secretInputsOf(parseStoredJson(inputschema), parseStoredJson(inputsText));
  if (entries.length === 0) return { inputs: inputsText };
  return { inputs: maskSecretInputs(inputsText, entries), secretinputs: inputsText };
}

/** The inputs an agent is given: in clear. */
export const clearInputs = (session: Pick<FlowSession, 'secretinputs' | 'inputs'>): string => session.secretinputs || session.inputs || '{}';

/** The assign frame's `secretInputs` of a session of this workflow. */
export const secretInputsFor = (session: Pick<FlowSession, 'secretinputs' | 'inputs'>, workflow: Pick<Workflow, 'inputschema'>): string[] =>
  secretInputsOf(parseStoredJson(workflow.inputschema), parseStoredJson(clearInputs(session)));

/**
 * The masker of an open session's secret inputs, or undefined when it has none: what an agent reports (outputs,
 * errors) is masked by the same rule again, so an agent that does not mask cannot put a secret into a record.
 */
export async function secretMasker(tx: Repositories, session: FlowSession): Promise<Masker | undefined> {
  const clear = session.secretinputs;
  if (!clear || !session._regardingobjectid_value) return undefined;
  const workflow = await tx.workflows.get(session._regardingobjectid_value);
  return workflow ? sessionMasker(clear, secretInputsFor(session, workflow)) : undefined;
}

/**
 * Once per database: sessions stored before secret inputs were masked get the stored form now (the clear copy kept
 * only for sessions that have not ended). Returns how many sessions it changed.
 */
export async function maskStoredSecretInputs(store: Store): Promise<number> {
  if ((await store.queueState.secretInputsMaskedAt()) !== undefined) return 0;
  let changed = 0;
  await store.transaction(async (tx) => {
    for (const workflow of await tx.workflows.withSecretInputs()) {
      for (const session of await tx.sessions.withUnsplitInputs(workflow.workflowid)) {
        const stored = storedInputs(workflow.inputschema, session.inputs ?? '');
        if (stored.inputs === session.inputs) continue;
        const open = session.statuscode === null || !isTerminalStatus(session.statuscode);
        await tx.sessions.patch(session.flowsessionid, { inputs: stored.inputs, secretinputs: open ? (stored.secretinputs ?? null) : null });
        changed++;
      }
    }
    await tx.queueState.setSecretInputsMasked(new Date().toISOString());
  });
  return changed;
}
