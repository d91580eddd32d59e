/**
 * The one masking rule for secret inputs, applied by the agent (session log, completion, callback, status page,
 * stored assign) and by the orchestrator (stored inputs, completion fields of any agent).
 *
 * Which inputs are secret: every value under a schema node marked `"x-secret": true` — a property at any depth, the
 * `items` of an array (every item), a tuple position, `additionalProperties`, or a branch of allOf/anyOf/oneOf.
 * The orchestrator resolves them against the session's inputs into JSON Pointers (RFC 6901); the assign frame's
 * `secretInputs` carries a top-level property as its plain name (what agents before pointers understand) and
 * anything else as a pointer (`/creds/password`, `/tokens/0`).
 */

/** What a masked secret becomes. */
export const SECRET_MASK = '***';

/** Shorter values would mask ordinary text everywhere; they are not masked (the schema author is told in the docs). */
export const MIN_SECRET_LENGTH = 3;

/** Longest entry of `secretInputs` (the frame's limit); a longer pointer is replaced by its longest ancestor that fits. */
export const MAX_SECRET_PATH_CHARS = 256;

/** Deepest schema nesting followed (allOf inside allOf …); inputs themselves nest at most 64 levels. */
const MAX_SCHEMA_DEPTH = 256;

// ───── which values are secret ─────

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const escapeSegment = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');
const unescapeSegment = (s: string): string => s.replace(/~1/g, '/').replace(/~0/g, '~');

/** JSON Pointers of the values of `inputs` that `schema` marks secret (deduplicated, outermost only). */
export function secretPointers(schema: unknown, inputs: unknown): string[] {
  const found = new Set<string>();
  walk(schema, inputs, '', 0, found);
  const sorted = [...found].sort();
  // A pointer under a secret one adds nothing: its whole value is already secret.
  return sorted.filter((p) => !sorted.some((q) => q !== p && p.startsWith(`${q}/`)));
}

function walk(schema: unknown, value: unknown, pointer: string, depth: number, found: Set<string>): void {
  if (!isObject(schema) || value === undefined || depth > MAX_SCHEMA_DEPTH) return;
  if (schema['x-secret'] === true) {
    found.add(pointer);
    return;
  }
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches)) for (const b of branches) walk(b, value, pointer, depth + 1, found);
  }
  if (isObject(value)) {
    const props = isObject(schema['properties']) ? schema['properties'] : {};
    for (const [k, v] of Object.entries(value)) {
      const sub = Object.hasOwn(props, k) ? props[k] : schema['additionalProperties'];
      walk(sub, v, `${pointer}/${escapeSegment(k)}`, depth + 1, found);
    }
  } else if (Array.isArray(value)) {
    const tuple = Array.isArray(schema['prefixItems']) ? schema['prefixItems'] : Array.isArray(schema['items']) ? schema['items'] : [];
    const rest = Array.isArray(schema['items']) ? schema['additionalItems'] : schema['items'];
    value.forEach((item, i) => walk(i < tuple.length ? tuple[i] : rest, item, `${pointer}/${i}`, depth + 1, found));
  }
}

/** The `secretInputs` entries of an assign frame for these pointers (see the file comment). */
export function secretInputEntries(pointers: readonly string[]): string[] {
  const entries = pointers.map((p) => {
    const segments = p.split('/').slice(1);
    if (segments.length === 1 && !segments[0]!.startsWith('~1')) return unescapeSegment(segments[0]!);
    let fit = p;
    while (fit.length > MAX_SECRET_PATH_CHARS && fit.lastIndexOf('/') > 0) fit = fit.slice(0, fit.lastIndexOf('/'));
    return fit;
  });
  return [...new Set(entries)];
}

/** The assign frame's `secretInputs` of a session: its inputs' secret values as `schema` (a workflow's inputschema) marks them. */
export const secretInputsOf = (schema: unknown, inputs: unknown): string[] => secretInputEntries(secretPointers(schema, inputs));

/** The value an assign's `secretInputs` entry names inside `inputs`, or undefined. */
function resolve(inputs: unknown, entry: string): unknown {
  const segments = entry.startsWith('/') ? entry.split('/').slice(1).map(unescapeSegment) : [entry];
  let v = inputs;
  for (const s of segments) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, s)) return undefined;
    v = (v as Record<string, unknown>)[s];
  }
  return v;
}

/** Strings and numbers (as text) inside a value, at any depth; a non-primitive value also as its JSON text. */
function leaves(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number') out.push(String(value));
  else if (typeof value === 'object' && value !== null) {
    out.push(JSON.stringify(value));
    for (const v of Object.values(value)) leaves(v, out);
  }
}

/** The secret values of a session: everything its `secretInputs` entries name in its inputs JSON. */
export function secretValues(inputsJson: string, secretInputs: readonly string[]): string[] {
  if (secretInputs.length === 0) return [];
  let inputs: unknown;
  try {
    inputs = JSON.parse(inputsJson);
  } catch {
    return [];
  }
  const values: string[] = [];
  for (const entry of secretInputs) leaves(resolve(inputs, entry), values);
  return values;
}

/** The inputs JSON with every secret value replaced by `***` (what is kept at rest and what a read returns). */
export function maskSecretInputs(inputsJson: string, secretInputs: readonly string[]): string {
  if (secretInputs.length === 0) return inputsJson;
  let inputs: unknown;
  try {
    inputs = JSON.parse(inputsJson);
  } catch {
    return inputsJson;
  }
  for (const entry of secretInputs) {
    const segments = entry.startsWith('/') ? entry.split('/').slice(1).map(unescapeSegment) : [entry];
    const last = segments.pop()!;
    const parent = segments.length === 0 ? inputs : resolve(inputs, `/${segments.map(escapeSegment).join('/')}`);
    if (typeof parent === 'object' && parent !== null && Object.hasOwn(parent, last)) (parent as Record<string, unknown>)[last] = SECRET_MASK;
  }
  return JSON.stringify(inputs);
}

// ───── masking text ─────

/**
 * The forms a secret takes in output: as is, JSON-escaped (a flow that prints its inputs file), URL-encoded and
 * base64 (as the GitHub runner masks them).
 */
export function secretForms(secret: string): string[] {
  const forms = [secret, JSON.stringify(secret).slice(1, -1), uriEncoded(secret), base64(utf8(secret))];
  return [...new Set(forms)].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

export type Masker = (text: string) => string;

/** A function replacing every form of every secret by `***`; longest first, so a secret containing another goes whole. */
export function createMasker(secrets: readonly string[]): Masker {
  const forms = longestFirst(secrets.flatMap(secretForms));
  if (forms.length === 0) return (text) => text;
  return (text) => maskForms(text, forms);
}

/**
 * A session token's shape (`fhs1.<flowsessionid>.<random>`, orchestrator/auth/session-tokens.ts): masked by pattern
 * wherever the agent logs, so no per-session secret has to be registered (and kept) for it.
 */
const SESSION_TOKEN = /fhs1\.[0-9a-fA-F-]{36}\.[A-Za-z0-9_-]{20,}/g;

/** `text` with every session token replaced by `***`. */
export const maskSessionTokens = (text: string): string => (text.includes('fhs1.') ? text.replace(SESSION_TOKEN, SECRET_MASK) : text);

/** The masker of a session's secret inputs and of session tokens. */
export function sessionMasker(inputsJson: string, secretInputs: readonly string[]): Masker {
  const mask = createMasker(secretValues(inputsJson, secretInputs));
  return (text) => maskSessionTokens(mask(text));
}

/** Distinct forms, longest first. */
export const longestFirst = (forms: Iterable<string>): string[] => [...new Set(forms)].sort((a, b) => b.length - a.length);

/** Replaces every form (ordered longest first) in `text` by `***`. */
export function maskForms(text: string, forms: readonly string[]): string {
  let out = text;
  for (const f of forms) if (out.includes(f)) out = out.split(f).join(SECRET_MASK);
  return out;
}

/**
 * Masks a JSON document value by value (keys and strings masked, a number that holds a secret becomes `"***"`), so
 * it stays valid JSON whatever the secret contains; text that is not JSON is masked as text.
 */
export function maskJsonText(text: string, mask: Masker): string {
  if (mask(text) === text) return text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return mask(text);
  }
  return JSON.stringify(maskValue(value, mask));
}

function maskValue(value: unknown, mask: Masker): unknown {
  if (typeof value === 'string') return mask(value);
  if (typeof value === 'number') return mask(String(value)) === String(value) ? value : SECRET_MASK;
  if (Array.isArray(value)) return value.map((v) => maskValue(v, mask));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[mask(k)] = maskValue(v, mask);
    return out;
  }
  return value;
}

// ───── encodings (pure: no Buffer here) ─────

function uriEncoded(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s; // a lone surrogate: no URL form
  }
}

/** UTF-8 bytes; a lone surrogate becomes U+FFFD as Node writes it. */
function utf8(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
    } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function base64(bytes: readonly number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b, c] = [bytes[i]!, bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + (b === undefined ? '=' : B64[(n >> 6) & 63]!) + (c === undefined ? '=' : B64[n & 63]!);
  }
  return out;
}
