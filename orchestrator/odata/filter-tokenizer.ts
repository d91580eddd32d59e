import { ODataError, ODataErrorCode } from './odata-error.js';

/** One lexical token of a `$filter` expression; `pos` is its 0-based offset, for error messages. */
export type Token =
  | { readonly type: '(' | ')' | ',' | 'eof'; readonly pos: number }
  | { readonly type: 'identifier'; readonly pos: number; readonly text: string }
  /** A parameter alias (`@p1`), with its `@`. */
  | { readonly type: 'alias'; readonly pos: number; readonly name: string }
  | { readonly type: 'string'; readonly pos: number; readonly value: string }
  | { readonly type: 'number'; readonly pos: number; readonly value: number }
  | { readonly type: 'guid' | 'datetime'; readonly pos: number; readonly value: string };

const GUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9A-Za-z_-])/y;
const DATETIME = /(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?(?![0-9A-Za-z_:.-])/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![0-9A-Za-z_.-])/y;
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y;
const ALIAS = /@[A-Za-z_][A-Za-z0-9_]*/y;
const SPACE = /[ \t\r\n]+/y;
/** Date-times must stay within years 0000–9999 in UTC, so that their ISO text sorts like their value. */
const FIRST_MS = Date.parse('0000-01-01T00:00:00Z');
const LAST_MS = Date.parse('9999-12-31T23:59:59.999Z');
const DATE_PREFIX = /\d{4}-\d{2}-\d{2}T/y;

const syntax = (message: string): ODataError => new ODataError(ODataErrorCode.InvalidFilter, `Syntax error in $filter: ${message}`);

function match(re: RegExp, text: string, pos: number): RegExpExecArray | null {
  re.lastIndex = pos;
  return re.exec(text);
}

function dateTimeValue(m: RegExpExecArray, pos: number): string {
  const [, y, mo, d, h = '00', mi = '00', s = '00', zone] = m;
  const year = Number(y);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][Number(mo) - 1] ?? 0;
  const inRange = Number(mo) >= 1 && Number(mo) <= 12 && Number(d) >= 1 && Number(d) <= daysInMonth && Number(h) <= 23 && Number(mi) <= 59 && Number(s) <= 59;
  // A date without a time is midnight UTC; a time must carry its zone (Z or ±hh:mm).
  const ms = Date.parse(zone === undefined ? `${y}-${mo}-${d}T00:00:00Z` : m[0]);
  if (!inRange || !(ms >= FIRST_MS && ms <= LAST_MS)) throw syntax(`'${m[0]}' at position ${pos} is not a valid date-time`);
  return new Date(ms).toISOString();
}

function readString(text: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  for (;;) {
    const quote = text.indexOf("'", i);
    if (quote < 0) throw syntax(`unterminated string literal starting at position ${start}`);
    value += text.slice(i, quote);
    if (text[quote + 1] !== "'") return { value, end: quote + 1 };
    value += "'";
    i = quote + 2;
  }
}

/** Splits `$filter` text into tokens; the last one is always `eof`. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < text.length) {
    const space = match(SPACE, text, pos);
    if (space) {
      pos += space[0].length;
      continue;
    }
    const c = text[pos]!;
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c, pos });
      pos += 1;
      continue;
    }
    if (c === "'") {
      const { value, end } = readString(text, pos);
      tokens.push({ type: 'string', pos, value });
      pos = end;
      continue;
    }
    const next = readWord(text, pos);
    tokens.push(next.token);
    pos += next.length;
  }
  tokens.push({ type: 'eof', pos });
  return tokens;
}

function readWord(text: string, pos: number): { token: Token; length: number } {
  const guid = match(GUID, text, pos);
  if (guid) return { token: { type: 'guid', pos, value: guid[0].toLowerCase() }, length: guid[0].length };
  const date = match(DATETIME, text, pos);
  if (date) return { token: { type: 'datetime', pos, value: dateTimeValue(date, pos) }, length: date[0].length };
  const num = match(NUMBER, text, pos);
  if (num) {
    const value = Number(num[0]);
    if (!Number.isFinite(value)) throw syntax(`number '${num[0]}' at position ${pos} is out of range`);
    return { token: { type: 'number', pos, value: value === 0 ? 0 : value }, length: num[0].length };
  }
  const id = match(IDENTIFIER, text, pos);
  if (id) return { token: { type: 'identifier', pos, text: id[0] }, length: id[0].length };
  const alias = match(ALIAS, text, pos);
  if (alias) return { token: { type: 'alias', pos, name: alias[0] }, length: alias[0].length };
  const shown = JSON.stringify(/^[^\s(),']{1,30}|^./.exec(text.slice(pos))![0]);
  if (match(DATE_PREFIX, text, pos)) throw syntax(`${shown} at position ${pos} is not a valid date-time (write e.g. 2026-01-31T08:00:00Z)`);
  throw syntax(`unexpected ${shown} at position ${pos}`);
}
