/** A stored JSON text column's value; undefined when it is empty, absent or not JSON (the record's policy refuses those). */
export function parseStoredJson(text: unknown): unknown {
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
