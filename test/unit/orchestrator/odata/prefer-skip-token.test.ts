import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSkipToken, encodeSkipToken, MAX_PAGE_SIZE, ODataError, parsePrefer } from '../../../../orchestrator/odata/index.js';

describe('parsePrefer', () => {
  it('defaults with no header', () => {
    expect(parsePrefer(undefined)).toEqual({ returnRepresentation: false, respondAsync: false });
    expect(parsePrefer('')).toEqual({ returnRepresentation: false, respondAsync: false });
    expect(parsePrefer([])).toEqual({ returnRepresentation: false, respondAsync: false });
  });

  it('reads several comma-separated values in one header', () => {
    expect(parsePrefer('odata.include-annotations="*",odata.maxpagesize=50, return=representation ,respond-async')).toEqual({
      includeAnnotations: '*',
      maxPageSize: 50,
      returnRepresentation: true,
      respondAsync: true,
    });
  });

  it('reads several headers', () => {
    expect(parsePrefer(['odata.maxpagesize=7', 'return=representation'])).toEqual({ maxPageSize: 7, returnRepresentation: true, respondAsync: false });
  });

  it('accepts an unquoted annotation value', () => {
    expect(parsePrefer('odata.include-annotations=*').includeAnnotations).toBe('*');
  });

  it('keeps commas inside a quoted annotation list', () => {
    const value = 'OData.Community.Display.V1.FormattedValue,Microsoft.Dynamics.CRM.lookuplogicalname';
    expect(parsePrefer(`odata.include-annotations="${value}", odata.maxpagesize=2`)).toMatchObject({ includeAnnotations: value, maxPageSize: 2 });
  });

  it('ignores names case, parameters after ; and unknown preferences; the first occurrence wins', () => {
    expect(parsePrefer('ODATA.MAXPAGESIZE=3; foo=bar, odata.track-changes, wait=10, odata.maxpagesize=9, return=minimal, return=representation')).toEqual({
      maxPageSize: 3,
      returnRepresentation: false,
      respondAsync: false,
    });
  });

  it(`caps odata.maxpagesize at ${MAX_PAGE_SIZE}`, () => {
    expect(parsePrefer('odata.maxpagesize=100000').maxPageSize).toBe(MAX_PAGE_SIZE);
  });

  it.each(['odata.maxpagesize=0', 'odata.maxpagesize=-1', 'odata.maxpagesize=ten', 'odata.maxpagesize', 'odata.maxpagesize=1.5'])('refuses %s', (header) => {
    const err = (() => {
      try {
        parsePrefer(header);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ODataError);
    expect((err as ODataError).code).toBe('InvalidPrefer');
    expect((err as ODataError).message).toContain('Prefer odata.maxpagesize must be a positive integer');
  });

  it('never throws anything but ODataError', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 60 }), { maxLength: 3 }), (headers) => {
        try {
          parsePrefer(headers);
        } catch (err) {
          expect(err).toBeInstanceOf(ODataError);
        }
      }),
    );
  });
});

describe('skip tokens', () => {
  it('round-trips any offset', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(decodeSkipToken(encodeSkipToken(n))).toBe(n);
      }),
    );
  });

  it('is URL-safe', () => {
    expect(encodeSkipToken(Number.MAX_SAFE_INTEGER)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('refuses offsets that cannot be encoded', () => {
    expect(() => encodeSkipToken(-1)).toThrow(RangeError);
    expect(() => encodeSkipToken(1.5)).toThrow(RangeError);
  });

  const b64 = (text: string): string => Buffer.from(text).toString('base64url');
  it.each(['', '12', b64('o:-1'), b64('o:01'), b64('x:1'), b64('o:1 '), b64('o:99999999999999999'), '!!!!', 'a'.repeat(100)])('refuses %j', (token) => {
    expect(() => decodeSkipToken(token)).toThrow(ODataError);
  });

  it('never throws anything but ODataError on garbage', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        try {
          expect(Number.isSafeInteger(decodeSkipToken(s))).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(ODataError);
        }
      }),
    );
  });
});
