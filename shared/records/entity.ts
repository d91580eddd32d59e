import { Type, type TSchema, type TObject, type TUnion, type TNull } from '@sinclair/typebox';
import type { OptionSet } from '../option-sets.js';

/** EDM type of a field, as it appears in `$metadata`. */
export type EdmType =
  | 'Edm.Guid'
  | 'Edm.String'
  | 'Edm.Int32'
  | 'Edm.Int64'
  | 'Edm.Double'
  | 'Edm.Boolean'
  | 'Edm.DateTimeOffset';

export interface FieldDef<S extends TSchema = TSchema> {
  readonly schema: S;
  readonly edm: EdmType;
  /** Option set whose display name `Prefer: odata.include-annotations` adds. */
  readonly optionSet?: OptionSet;
  /** Settable in a POST body. */
  readonly create?: boolean;
  /** Settable in a PATCH body. */
  readonly update?: boolean;
  /** Required in a POST body. */
  readonly required?: boolean;
  /** Never returned by the API (for example a password hash). */
  readonly hidden?: boolean;
  /** A lookup `_x_value`: the navigation property name and the entity set it points to. */
  readonly lookup?: { readonly nav: string; readonly target: string };
  /** Upper bound of a string's length; also what the store refuses beyond. */
  readonly maxLength?: number;
  /** Unique among the set's records, compared case-insensitively (both stores keep a unique index on it). */
  readonly unique?: true;
}

export interface EntityDef<F extends Record<string, FieldDef> = Record<string, FieldDef>> {
  /** Logical name, e.g. `flowsession`. */
  readonly name: string;
  /** Entity set, e.g. `flowsessions`. */
  readonly set: string;
  /** Primary key field, a GUID. */
  readonly key: string;
  /** Primary name field. */
  readonly primaryName: string;
  readonly fields: F;
}

export const Nullable = <T extends TSchema>(schema: T): TUnion<[T, TNull]> => Type.Union([schema, Type.Null()]);

export const Guid = () => Type.String({ format: 'uuid' });
export const DateTime = () => Type.String({ format: 'date-time' });
export const Int = (opts: { minimum?: number; maximum?: number } = {}) => Type.Integer(opts);
export const Text = (maxLength = 4000) => Type.String({ maxLength });

/** The fields of `entity` marked `unique`. */
export const uniqueFields = (entity: EntityDef): string[] =>
  Object.entries(entity.fields)
    .filter(([, f]) => f.unique)
    .map(([name]) => name);

export const field = <S extends TSchema>(schema: S, def: Omit<FieldDef<S>, 'schema'>): FieldDef<S> => ({ schema, ...def });

/** The fields every record carries. */
export const commonFields = {
  createdon: field(DateTime(), { edm: 'Edm.DateTimeOffset' }),
  modifiedon: field(DateTime(), { edm: 'Edm.DateTimeOffset' }),
  versionnumber: field(Type.Integer(), { edm: 'Edm.Int64' }),
};

type RecordOf<F extends Record<string, FieldDef>> = {
  [K in keyof F]: F[K] extends FieldDef<infer S> ? TUnion<[S, TNull]> : never;
};

/** Schema of a record as the store keeps it and the API returns it: every field present, null when unset. */
export function recordSchema<F extends Record<string, FieldDef>>(entity: EntityDef<F>): TObject<RecordOf<F>> {
  const props: Record<string, TSchema> = {};
  for (const [name, def] of Object.entries(entity.fields)) props[name] = Nullable(def.schema);
  return Type.Object(props, { additionalProperties: false }) as TObject<RecordOf<F>>;
}

/** Schema of a POST (mode `create`) or PATCH (mode `update`) body: only settable fields, unknown ones refused. */
export function writeSchema(entity: EntityDef, mode: 'create' | 'update'): TObject {
  const props: Record<string, TSchema> = {};
  for (const [name, def] of Object.entries(entity.fields)) {
    if (!def[mode]) continue;
    props[name] = def.required && mode === 'create' ? def.schema : Type.Optional(Nullable(def.schema));
  }
  return Type.Object(props, { additionalProperties: false });
}
