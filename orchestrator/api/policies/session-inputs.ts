import { unsafeInputCharacter, userSchemaValidator, ValidationError } from '../../../shared/validate.js';
import type { WorkflowRecord } from '../../store/store.js';
import { ApiError, badRequest, jsonSyntaxMessage } from '../api-error.js';

/** Largest serialized `inputs` of a session (Power Automate's limit). */
export const MAX_INPUTS_BYTES = 2_000_000;

/** Deepest nesting of a session's `inputs` (flows get them as JSON; nothing real nests deeper, and very deep values overflow JSON.stringify). */
export const MAX_INPUTS_DEPTH = 64;

/** Nesting depth of a parsed JSON value, without recursion (a hostile value may be 100,000 levels deep). */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    max = Math.max(max, depth + 1);
    if (max > MAX_INPUTS_DEPTH) return max;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return max;
}

export function checkInputsSize(serialized: string): void {
  const bytes = Buffer.byteLength(serialized, 'utf8');
  if (bytes > MAX_INPUTS_BYTES) throw new ApiError(413, 'InputsTooLarge', `inputs are ${bytes} bytes serialized; the limit is ${MAX_INPUTS_BYTES}`);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`${what} is not valid JSON: ${jsonSyntaxMessage(err)}`);
  }
}

/** Parses a session's `inputs` text and validates it against the workflow's `inputschema` (when it has one). */
export function validateInputs(workflow: WorkflowRecord, inputsText: string | null | undefined, what: string): void {
  const inputs = inputsText === null || inputsText === undefined ? {} : parseJson(inputsText, `${what}: inputs`);
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) throw badRequest(`${what}: inputs must be a JSON object`, 'InvalidInputs');
  if (depthOf(inputs) > MAX_INPUTS_DEPTH) throw badRequest(`${what}: inputs are nested deeper than ${MAX_INPUTS_DEPTH} levels`, 'InvalidInputs');
  const unsafe = unsafeInputCharacter(inputs);
  if (unsafe !== undefined) throw badRequest(`${what}: ${unsafe.slice(0, 500)}, which a flow cannot be given unchanged`, 'InvalidInputs');
  const schemaText = workflow.inputschema;
  if (!schemaText) return;
  let check: (value: unknown, what?: string) => string[];
  try {
    check = userSchemaValidator(parseJson(schemaText, `the inputschema of workflow ${workflow.workflowid}`));
  } catch (err) {
    if (err instanceof ValidationError) throw new ApiError(409, 'InvalidInputSchema', `the workflow's inputschema cannot be used: ${err.message}`);
    throw err;
  }
  const errors = check(inputs, 'inputs').map((e) => (e.startsWith('inputs') ? e : `inputs.${e}`));
  if (errors.length > 0) throw badRequest(`${what}: inputs do not match the workflow's inputschema: ${errors.join('; ')}`, 'InvalidInputs');
}
