import { ODataError, ODataErrorCode } from './odata-error.js';

export interface Prefer {
  /** `odata.maxpagesize`, capped at MAX_PAGE_SIZE. */
  maxPageSize?: number;
  /** `odata.include-annotations` value without quotes, e.g. `*` or `OData.Community.Display.V1.FormattedValue`. */
  includeAnnotations?: string;
  /** `return=representation` (a POST/PATCH answers with the record). */
  returnRepresentation: boolean;
  /** `respond-async` (bulk actions run as a backgroundoperation). */
  respondAsync: boolean;
}

/** Largest page the API serves, whatever `odata.maxpagesize` asks (Dataverse's limit). */
export const MAX_PAGE_SIZE = 5000;

/** Splits on `sep` outside double quotes. */
function splitOutsideQuotes(text: string, sep: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && quoted) i += 1;
    else if (c === sep && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

const unquote = (v: string): string => (v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v);

function maxPageSize(raw: string): number {
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) {
    throw new ODataError(ODataErrorCode.InvalidPrefer, `Prefer odata.maxpagesize must be a positive integer, got '${raw.slice(0, 40)}'.`);
  }
  return Math.min(Number(raw), MAX_PAGE_SIZE);
}

/** Reads `Prefer` headers (RFC 7240): several values comma-separated, several headers; unknown preferences are ignored. */
export function parsePrefer(headers: string | string[] | undefined): Prefer {
  const prefer: Prefer = { returnRepresentation: false, respondAsync: false };
  const values = headers === undefined ? [] : Array.isArray(headers) ? headers : [headers];
  const seen = new Set<string>();
  for (const header of values) {
    for (const item of splitOutsideQuotes(header, ',')) {
      const [pref = ''] = splitOutsideQuotes(item, ';');
      const eq = pref.indexOf('=');
      const name = (eq < 0 ? pref : pref.slice(0, eq)).trim().toLowerCase();
      const value = eq < 0 ? '' : unquote(pref.slice(eq + 1).trim());
      // RFC 7240: the first occurrence of a preference wins.
      if (seen.has(name)) continue;
      seen.add(name);
      if (name === 'odata.maxpagesize') prefer.maxPageSize = maxPageSize(value);
      else if (name === 'odata.include-annotations') prefer.includeAnnotations = value;
      else if (name === 'return') prefer.returnRepresentation = value.toLowerCase() === 'representation';
      else if (name === 'respond-async') prefer.respondAsync = true;
    }
  }
  return prefer;
}
