/** The OData query layer: pure functions from query text to checked queries for the store, and from records to API records. */
export { ODataError, ODataErrorCode } from './odata-error.js';
export type { CompareOp, FilterLiteral, FilterNode, StringFunction } from './filter-ast.js';
export { parseFilter, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, MAX_FILTER_TERMS } from './filter-parser.js';
export { printFilter } from './filter-printer.js';
export { checkFilter } from './filter-check.js';
export { compileQuery, refuseQueryOptions, type CompiledQuery } from './query-options.js';
export { parsePrefer, MAX_PAGE_SIZE, type Prefer } from './prefer.js';
export { encodeSkipToken, decodeSkipToken } from './skip-token.js';
export { toApiRecord, wantsAnnotation, type ApiRecordOptions } from './api-record.js';
export { metadataDocument } from './metadata.js';
