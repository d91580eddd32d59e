import { Kind, type TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import * as protocol from '../../../shared/protocol.js';
import { entities, recordSchema, writeSchema } from '../../../shared/records/index.js';
import { validator } from '../../../shared/validate.js';

const isSchema = (value: unknown): value is TSchema => typeof value === 'object' && value !== null && Kind in value;

describe('validator', () => {
  // Validators compile on first use, so a schema ajv's strict mode refuses would only fail when first checked:
  // compile every schema we ship here instead.
  it('compiles every protocol and record schema under strict mode', () => {
    const schemas: [string, TSchema][] = Object.entries(protocol as Record<string, unknown>).filter((e): e is [string, TSchema] => isSchema(e[1]));
    for (const [set, entity] of Object.entries(entities)) {
      schemas.push([`${set} record`, recordSchema(entity)], [`${set} create`, writeSchema(entity, 'create')], [`${set} update`, writeSchema(entity, 'update')]);
    }
    expect(schemas.length).toBeGreaterThan(30);
    for (const [name, schema] of schemas) expect(() => validator(schema).check(undefined), name).not.toThrow();
  });

  it('refuses a schema strict mode rejects when it is first used, with ajv saying why', () => {
    const bad = { type: 'object', propertiez: {} } as unknown as TSchema;
    const v = validator(bad);
    expect(() => v.check({})).toThrow(/strict mode: unknown keyword: "propertiez"/);
  });

  it('parses a good value and names the bad key of a wrong one', () => {
    const v = validator(protocol.Ack);
    expect(v.parse({ type: 'ack', upTo: 3 })).toEqual({ type: 'ack', upTo: 3 });
    expect(() => v.parse({ type: 'ack', upTo: 'x' }, 'frame')).toThrow(/upTo must be integer/);
  });
});
