/** A bad OData request (query option, $filter, Prefer, skip token): always HTTP 400. */
export class ODataError extends Error {
  readonly status = 400;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ODataError';
  }
}

/** Error codes an ODataError carries (the API puts them in `error.code`). */
export const ODataErrorCode = {
  InvalidFilter: 'InvalidFilter',
  UnknownProperty: 'UnknownProperty',
  TypeMismatch: 'TypeMismatch',
  InvalidQueryOption: 'InvalidQueryOption',
  UnknownQueryOption: 'UnknownQueryOption',
  /** A Dataverse query parameter flowhost does not answer (`fetchXml`, `savedQuery`, `userQuery`). */
  UnsupportedQueryParameter: 'UnsupportedQueryParameter',
  InvalidSkipToken: 'InvalidSkipToken',
  InvalidPrefer: 'InvalidPrefer',
} as const;
