import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import type { Static, TSchema } from '@sinclair/typebox';

// ajv-formats ships CommonJS; under ESM its default export is the plugin itself or a namespace holding it.
const addFormats = ((addFormatsImport as unknown as { default?: unknown }).default ?? addFormatsImport) as ((ajv: Ajv) => Ajv) & {
  /** A format's definition (full mode): an object with `validate` (and `compare`). */
  get(name: 'date-time' | 'date' | 'time'): { validate: (value: string) => boolean };
};

/**
 * ajv-formats' full `date-time` check (impossible dates and times are refused: its `fast` mode is a regex that accepts
 * 2026-02-30 or hour 29), with two memories, as the check is most of the cost of validating a `log` event: the last
 * string it accepted (a burst repeats its timestamps: an event's `at` and its lines', lines of one millisecond), and
 * the last date it accepted, so that a timestamp of the same day only has its time checked. The library checks
 * `date-time` as date + one separator (`T`, `t` or whitespace) + time, which is what this does.
 */
function rememberingDateTime(): { validate: (value: string) => boolean } {
  const format = addFormats.get('date-time');
  const date = addFormats.get('date').validate;
  const time = addFormats.get('time').validate;
  let lastValid: string | undefined;
  let lastDate = '';
  const DATE_LENGTH = 'YYYY-MM-DD'.length;
  return {
    ...format,
    validate(value: string): boolean {
      if (value === lastValid) return true;
      const day = value.slice(0, DATE_LENGTH);
      const separator = value.charAt(DATE_LENGTH);
      if (!/^[t\s]$/i.test(separator)) return false;
      if (day !== lastDate) {
        if (!date(day)) return false;
        lastDate = day;
      }
      if (!time(value.slice(DATE_LENGTH + 1))) return false;
      lastValid = value;
      return true;
    },
  };
}

/** One ajv instance for our own schemas (TypeBox), made on first use. `x-secret` is a known keyword of user schemas. */
let ownAjv: Ajv | undefined;
const ajv = () => (ownAjv ??= addFormats(new Ajv({ allErrors: false, strict: true, keywords: ['x-secret'] })).addFormat('date-time', rememberingDateTime()));

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    message: string,
    readonly details: readonly string[],
  ) {
    super(message);
  }
}

/** `/a/b` + "must be integer" → `a.b must be integer`; additionalProperties names the unknown key. */
export function describeErrors(errors: readonly ErrorObject[] | null | undefined, what = 'value'): string[] {
  return (errors ?? []).map((e) => {
    const path = e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : what;
    if (e.keyword === 'additionalProperties') return `${path === what ? what : path}: unknown property '${String(e.params['additionalProperty'])}'`;
    if (e.keyword === 'required') return `${path === what ? what : path}: missing required property '${String(e.params['missingProperty'])}'`;
    return `${path} ${e.message ?? 'is invalid'}`;
  });
}

export interface Validator<T> {
  readonly schema: TSchema;
  /** Type guard; never throws. */
  check(value: unknown): value is T;
  /** Returns the value typed, or throws ValidationError with a message naming the bad key. */
  parse(value: unknown, what?: string): T;
  /** Human-readable errors of the last failed `check` on this validator. */
  errors(what?: string): string[];
}

const cache = new WeakMap<TSchema, ValidateFunction>();

function compile(schema: TSchema): ValidateFunction {
  let fn = cache.get(schema);
  if (!fn) {
    fn = ajv().compile(schema);
    cache.set(schema, fn);
  }
  return fn;
}

/**
 * A validator for one of our schemas. It compiles on first use: a process loads far more schemas than it
 * checks (an idle agent never sees most frame types), and compiled validators are code that stays in memory.
 */
export function validator<S extends TSchema>(schema: S): Validator<Static<S>> {
  let fn: ValidateFunction | undefined;
  const compiled = () => (fn ??= compile(schema));
  return {
    schema,
    check: (value): value is Static<S> => compiled()(value) === true,
    errors: (what) => describeErrors(compiled().errors, what),
    parse(value, what = 'value') {
      if (compiled()(value)) return value as Static<S>;
      const details = describeErrors(compiled().errors, what);
      throw new ValidationError(`invalid ${what}: ${details.join('; ')}`, details);
    },
  };
}

/**
 * Validator for a user-supplied JSON Schema (a workflow's inputschema/outputschema). Unknown keywords are
 * allowed (non-strict) and every error is reported, since the schema author needs the full list.
 */
let userAjvInstance: Ajv | undefined;
const userAjv = () => (userAjvInstance ??= addFormats(new Ajv({ allErrors: true, strict: false })));
export function userSchemaValidator(schema: unknown): (value: unknown, what?: string) => string[] {
  if (typeof schema !== 'object' || schema === null) throw new ValidationError('schema must be a JSON object', []);
  let fn: ValidateFunction;
  try {
    fn = userAjv().compile(schema);
  } catch (err) {
    throw new ValidationError(`schema is not a valid JSON Schema: ${(err as Error).message}`, []);
  }
  return (value, what = 'inputs') => (fn(value) ? [] : describeErrors(fn.errors, what));
}


/** A NUL (ends a C string: argv, environment, paths) or a lone surrogate (no UTF-8 form: a file or pipe changes it). */
const UNSAFE_CHAR = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Where a session's inputs hold a character no flow can be given unchanged, named by path and never echoed (the
 * value may be a secret); undefined when there is none. Keys count too.
 */
export function unsafeInputCharacter(inputs: unknown): string | undefined {
  const stack: [unknown, string][] = [[inputs, 'inputs']];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    const what = (s: string) => (s.includes('\u0000') ? 'a NUL character (U+0000)' : 'an unpaired UTF-16 surrogate');
    if (typeof v === 'string') {
      if (UNSAFE_CHAR.test(v)) return `${path} holds ${what(v)}`;
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, child] of Object.entries(v)) {
        if (UNSAFE_CHAR.test(k)) return `an input name in ${path} holds ${what(k)}`;
        stack.push([child, Array.isArray(v) ? `${path}[${k}]` : `${path}.${k}`]);
      }
    }
  }
  return undefined;
}
