import { readFileSync } from 'node:fs';
import { FlowDefinition } from '../../shared/flow-definition.js';
import { unsafeInputCharacter, userSchemaValidator, validator } from '../../shared/validate.js';
import { CommandError, ExitCode } from './exit-codes.js';

/** A flow to run locally: from a workflow record export (`clientdata` …) or a bare flow definition. */
export interface LocalWorkflow {
  readonly name: string;
  readonly workflowid?: string;
  readonly flow: FlowDefinition;
  readonly inputschema?: unknown;
  readonly outputschema?: string;
}

const flowDefinition = validator(FlowDefinition);
const usage = (message: string) => new CommandError(message, ExitCode.Usage);

export function loadWorkflowFile(path: string): LocalWorkflow {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw usage(`cannot read workflow file ${path}: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw usage(`workflow file ${path} must hold a JSON object`);
  return workflowFromRecord(raw as Record<string, unknown>, `file ${path}`, path);
}

/** A workflow record (`clientdata`, `inputschema`, `outputschema` as JSON strings or values) or a bare flow definition. */
export function workflowFromRecord(record: Record<string, unknown>, label: string, fallbackName = label): LocalWorkflow {
  const isRecord = 'clientdata' in record;
  const definition = isRecord ? parseMaybeJson(record['clientdata'], 'clientdata', label) : record;
  if (!flowDefinition.check(definition)) throw usage(`workflow ${label}: invalid flow definition: ${flowDefinition.errors(isRecord ? 'clientdata' : 'flow').join('; ')}`);
  const inputschema = isRecord && record['inputschema'] != null ? parseMaybeJson(record['inputschema'], 'inputschema', label) : undefined;
  const outputschema = isRecord && record['outputschema'] != null ? parseMaybeJson(record['outputschema'], 'outputschema', label) : undefined;
  return {
    name: typeof record['name'] === 'string' && record['name'] ? record['name'] : fallbackName,
    ...(typeof record['workflowid'] === 'string' ? { workflowid: record['workflowid'] } : {}),
    flow: definition,
    ...(inputschema === undefined ? {} : { inputschema }),
    ...(outputschema === undefined ? {} : { outputschema: JSON.stringify(outputschema) }),
  };
}

function parseMaybeJson(value: unknown, key: string, label: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (err) {
    throw usage(`workflow ${label}: ${key} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Inputs from `--inputs-file` (a JSON object) overlaid with `--input name=value` pairs. A value is a string unless the
 * input schema types that property otherwise, then it is parsed as JSON (`--input count=3`).
 */
export function buildInputs(pairs: readonly string[], inputsFile: string | undefined, inputschema: unknown): Record<string, unknown> {
  let inputs: Record<string, unknown> = {};
  if (inputsFile) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(inputsFile, 'utf8'));
    } catch (err) {
      throw usage(`cannot read inputs file ${inputsFile}: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw usage(`inputs file ${inputsFile} must hold a JSON object`);
    inputs = { ...(parsed as Record<string, unknown>) };
  }
  const props = ((inputschema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties ?? {}) as Record<string, { type?: unknown }>;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usage(`--input expects name=value, got '${pair}'`);
    const name = pair.slice(0, eq);
    const text = pair.slice(eq + 1);
    const type = props[name]?.type;
    if (type !== undefined && type !== 'string') {
      try {
        inputs[name] = JSON.parse(text);
      } catch {
        throw usage(`--input ${name}: the schema expects ${JSON.stringify(type)}, got '${text}'`);
      }
    } else {
      inputs[name] = text;
    }
  }
  const unsafe = unsafeInputCharacter(inputs);
  if (unsafe !== undefined) throw usage(`${unsafe}, which a flow cannot be given unchanged`);
  if (inputschema !== undefined) {
    const errors = userSchemaValidator(inputschema)(inputs, 'inputs');
    if (errors.length > 0) throw usage(`inputs do not match the workflow's inputschema: ${errors.join('; ')}`);
  }
  return inputs;
}

