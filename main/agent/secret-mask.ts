/** What a masked secret becomes in a log line. */
export const SECRET_MASK = '***';

/** Shorter values would mask ordinary text everywhere; they are not masked (the schema author is told in the docs). */
export const MIN_SECRET_LENGTH = 3;

/**
 * The forms a secret takes in output: as is, JSON-escaped (a flow that prints its inputs file), URL-encoded and
 * base64 (as the GitHub runner masks them).
 */
export function secretForms(secret: string): string[] {
  const forms = [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), Buffer.from(secret, 'utf8').toString('base64')];
  return [...new Set(forms)].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

export type Masker = (text: string) => string;

/** A function replacing every form of every secret by `***`; longest first, so a secret containing another goes whole. */
export function createMasker(secrets: readonly string[]): Masker {
  const forms = longestFirst(secrets.flatMap(secretForms));
  if (forms.length === 0) return (text) => text;
  return (text) => maskForms(text, forms);
}

/** Distinct forms, longest first. */
export const longestFirst = (forms: Iterable<string>): string[] => [...new Set(forms)].sort((a, b) => b.length - a.length);

/** Replaces every form (ordered longest first) in `text` by `***`. */
export function maskForms(text: string, forms: readonly string[]): string {
  let out = text;
  for (const f of forms) if (out.includes(f)) out = out.split(f).join(SECRET_MASK);
  return out;
}

/** The secret values of a session: the inputs named in `secretInputs` (non-strings as their JSON text). */
export function secretValues(inputsJson: string, secretInputs: readonly string[]): string[] {
  if (secretInputs.length === 0) return [];
  let inputs: unknown;
  try {
    inputs = JSON.parse(inputsJson);
  } catch {
    return [];
  }
  if (typeof inputs !== 'object' || inputs === null) return [];
  const values: string[] = [];
  for (const name of secretInputs) {
    const v = (inputs as Record<string, unknown>)[name];
    if (v === undefined || v === null) continue;
    values.push(typeof v === 'string' ? v : JSON.stringify(v));
  }
  return values;
}
