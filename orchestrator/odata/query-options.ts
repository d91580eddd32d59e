import type { EntityDef } from '../../shared/records/index.js';
import type { OrderItem, RecordQuery } from '../store/record-query.js';
import { requireField } from './entity-fields.js';
import { checkFilter } from './filter-check.js';
import { parseFilter } from './filter-parser.js';
import { ODataError, ODataErrorCode } from './odata-error.js';
import { MAX_PAGE_SIZE } from './prefer.js';
import { decodeSkipToken } from './skip-token.js';

export interface CompiledQuery {
  /** Validated field names of `$select`, in request order; undefined = all non-hidden fields. */
  select?: string[];
  /** The `$filter` tree checked against the entity: what the store's dialect compiles. */
  filter?: RecordQuery['filter'];
  orderBy?: OrderItem[];
  top?: number;
  /** From `$skip` or `$skiptoken` (the API's own nextLink). */
  skip?: number;
  count: boolean;
}

const KNOWN_OPTIONS = ['$select', '$filter', '$orderby', '$top', '$skip', '$skiptoken', '$count'] as const;
type KnownOption = (typeof KNOWN_OPTIONS)[number];
const UNSUPPORTED = new Set(['$expand', '$apply', '$search', '$format', '$compute', '$levels', '$index', '$schemaversion']);

const invalid = (message: string): ODataError => new ODataError(ODataErrorCode.InvalidQueryOption, message);

/** Dataverse's non-`$` query parameters flowhost does not answer: refused by name rather than ignored (ignoring `fetchXml` returned every row). */
const UNSUPPORTED_PARAMETERS: Readonly<Record<string, string>> = {
  fetchxml: 'FetchXML queries are not supported: use $select, $filter, $orderby and $top',
  savedquery: 'saved views are not supported: use $select, $filter, $orderby and $top',
  userquery: 'saved views are not supported: use $select, $filter, $orderby and $top',
};

/** Any parameter that is neither a `$` option nor a parameter alias: a Dataverse one flowhost does not support, or unknown. */
function refuseParameter(rawName: string): never {
  const name = rawName.slice(0, 64);
  const why = UNSUPPORTED_PARAMETERS[rawName.toLowerCase()];
  if (why !== undefined) throw new ODataError(ODataErrorCode.UnsupportedQueryParameter, `The query parameter '${name}' is not supported (${why}).`);
  if (rawName.startsWith('@')) throw invalid(`The parameter alias '${name}' is not a valid name (write '@' and a letter, then letters, digits or '_').`);
  throw new ODataError(ODataErrorCode.UnknownQueryOption, `The query parameter '${name}' is not supported (supported: ${KNOWN_OPTIONS.join(', ')}).`);
}

const ALIAS_NAME = /^@[A-Za-z_][A-Za-z0-9_]{0,63}$/;

interface QueryParameters {
  /** The `$` options by (lower-cased) name. */
  readonly options: Map<KnownOption, string>;
  /** The parameter aliases (`@p1=4`) by name with `@`: values `$filter` may name. */
  readonly aliases: Map<string, string>;
}

/** The `$` options and parameter aliases of `query`; rejects unknown and repeated ones, and every other parameter. */
function queryParameters(query: URLSearchParams): QueryParameters {
  const options = new Map<KnownOption, string>();
  const aliases = new Map<string, string>();
  for (const [rawName, value] of query) {
    if (ALIAS_NAME.test(rawName)) {
      if (aliases.has(rawName)) throw invalid(`The parameter alias '${rawName}' was specified more than once.`);
      aliases.set(rawName, value);
      continue;
    }
    if (!rawName.startsWith('$')) refuseParameter(rawName);
    const name = rawName.toLowerCase();
    if (UNSUPPORTED.has(name)) throw new ODataError(ODataErrorCode.UnknownQueryOption, `The query option '${rawName}' is not supported.`);
    if (!(KNOWN_OPTIONS as readonly string[]).includes(name)) {
      throw new ODataError(ODataErrorCode.UnknownQueryOption, `The query parameter '${rawName.slice(0, 64)}' is not supported (supported: ${KNOWN_OPTIONS.join(', ')}).`);
    }
    if (options.has(name as KnownOption)) throw invalid(`The query option '${name}' was specified more than once.`);
    options.set(name as KnownOption, value);
  }
  return { options, aliases };
}

function integer(option: string, raw: string, min: number, max: number): number {
  const value = /^\d{1,16}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`The value '${raw.slice(0, 40)}' of ${option} is not valid: it must be an integer from ${min} to ${max}.`);
  }
  return value;
}

function selectList(entity: EntityDef, raw: string): string[] {
  const names = raw.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw invalid(`$select '${raw.slice(0, 80)}' has an empty property name.`);
  if (names.includes('*')) return [];
  for (const name of names) requireField(entity, name);
  return [...new Set(names)];
}

function orderByList(entity: EntityDef, raw: string): OrderItem[] {
  const seen = new Set<string>();
  return raw
    .split(',')
    .map((item) => {
      const parts = item.trim().split(/\s+/);
      const [name = '', dir = 'asc', extra] = parts;
      if (name === '') throw invalid(`$orderby '${raw.slice(0, 80)}' has an empty item.`);
      requireField(entity, name);
      const direction = dir.toLowerCase();
      if (extra !== undefined || (direction !== 'asc' && direction !== 'desc')) {
        throw invalid(`$orderby item '${item.trim().slice(0, 80)}' must be 'property', 'property asc' or 'property desc'.`);
      }
      if (seen.has(name)) throw invalid(`$orderby names '${name}' more than once.`);
      seen.add(name);
      return { field: name, descending: direction === 'desc' };
    });
}

function countFlag(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (v !== 'true' && v !== 'false') throw invalid(`$count must be true or false, got '${raw.slice(0, 40)}'.`);
  return v === 'true';
}

/** For a resource that takes no query options (a function such as WhoAmI): any parameter is refused by name. */
export function refuseQueryOptions(query: URLSearchParams, resource: string): void {
  for (const [rawName] of query) {
    throw new ODataError(ODataErrorCode.UnknownQueryOption, `The query parameter '${rawName.slice(0, 64)}' is not supported: ${resource} takes no query options.`);
  }
}

/** Validates the OData query options of a collection GET into what the store's generic record path takes. Throws ODataError. */
export function compileQuery(entity: EntityDef, query: URLSearchParams): CompiledQuery {
  const { options, aliases } = queryParameters(query);
  const compiled: CompiledQuery = { count: false };
  const select = options.get('$select');
  if (select !== undefined) {
    const list = selectList(entity, select);
    if (list.length > 0) compiled.select = list;
  }
  const filter = options.get('$filter');
  if (filter !== undefined) {
    compiled.filter = checkFilter(entity, parseFilter(filter, aliases));
  }
  const orderBy = options.get('$orderby');
  if (orderBy !== undefined) compiled.orderBy = orderByList(entity, orderBy);
  const top = options.get('$top');
  if (top !== undefined) compiled.top = integer('$top', top, 1, MAX_PAGE_SIZE);
  const skip = options.get('$skip');
  const skipToken = options.get('$skiptoken');
  if (skip !== undefined && skipToken !== undefined) throw invalid('Use either $skip or $skiptoken, not both.');
  if (skip !== undefined) compiled.skip = integer('$skip', skip, 0, Number.MAX_SAFE_INTEGER);
  if (skipToken !== undefined) compiled.skip = decodeSkipToken(skipToken);
  const count = options.get('$count');
  if (count !== undefined) compiled.count = countFlag(count);
  return compiled;
}
