import { Kind, Type, type TSchema } from '@sinclair/typebox';
import addFormatsImport from 'ajv-formats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as protocol from '../../../shared/protocol.js';
import { decodeAgentFrame } from '../../../shared/protocol-codec.js';
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

  // The date-time check remembers the last timestamp it accepted (replayed bursts repeat them): what it lets through
  // must stay exactly what ajv-formats' full check does, whatever was accepted just before.
  it('refuses impossible and malformed date-times right after accepting a valid one, and accepts it again', () => {
    const sessionId = '6f1c2a3b-4d5e-4f60-8a1b-2c3d4e5f6a7b';
    const at = '2026-11-23T18:30:00.123Z';
    const log = (seq: number, lineAt: string) => ({ seq, sessionId, at, kind: 'log', lines: [{ seq, level: 100000001, stream: 'stdout', at: lineAt, message: 'x' }] });
    const frame = (lineAt: string) => JSON.stringify({ type: 'events', events: [log(1, at), log(2, lineAt)] });
    expect(decodeAgentFrame(frame(at))).toMatchObject({ ok: true });
    for (const bad of ['2026-02-30T10:00:00Z', '2026-13-01T10:00:00Z', '2026-11-23T24:00:00Z', '2026-11-23T18:61:00Z', '2026-11-23T18:30:00', '2026-11-23 18:30:00Z x', 'yesterday']) {
      expect(decodeAgentFrame(frame(bad)), bad).toEqual({ ok: false, error: expect.stringContaining('events.1.lines.0.at must match format "date-time"') });
    }
    expect(decodeAgentFrame(frame('2028-02-29T23:59:59.999+01:00'))).toMatchObject({ ok: true });
    expect(decodeAgentFrame(frame(at))).toMatchObject({ ok: true });
  });

  it('checks date-time exactly as ajv-formats (full) does, whatever order the strings come in', () => {
    const plugin = ((addFormatsImport as unknown as { default?: unknown }).default ?? addFormatsImport) as { get(name: 'date-time'): { validate: (v: string) => boolean } };
    const reference = plugin.get('date-time').validate;
    const iso = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString());
    const mutated = fc.tuple(iso, fc.nat(), fc.constantFrom('0', '9', '3', '2', 'T', 't', ' ', '\t', 'Z', 'z', '+', '-', ':', '.', 'x', '')).map(([s, i, c]) => s.slice(0, i % s.length) + c + s.slice((i % s.length) + 1));
    const sameDay = fc.tuple(fc.constantFrom('2026-02-28', '2026-02-29', '2024-02-29', '2026-13-01', '2026-04-31'), fc.constantFrom('T', 't', ' ', '\t', 'X'), fc.constantFrom('23:59:59Z', '24:00:00Z', '23:60:00Z', '12:00:00.123+02:00', '12:00:00', '12:00:00z', '1:00:00Z')).map(([d, sep, t]) => d + sep + t);
    fc.assert(
      fc.property(fc.array(fc.oneof(iso, mutated, sameDay, fc.string()), { minLength: 1, maxLength: 30 }), (values) => {
        const v = validator(Type.Object({ at: Type.String({ format: 'date-time' }) }));
        for (const at of values) expect(v.check({ at }), JSON.stringify(at)).toBe(reference(at));
      }),
      { numRuns: 500 },
    );
  });
});
