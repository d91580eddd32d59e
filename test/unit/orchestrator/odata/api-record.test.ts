import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flowmachineEntity, flowsessionEntity } from '../../../../shared/records/index.js';
import { compileQuery, parsePrefer, toApiRecord, wantsAnnotation } from '../../../../orchestrator/odata/index.js';
import type { SqliteStore } from '../../../../orchestrator/store/sqlite-store.js';
import { openTempStore } from './store-fixture.js';

const FV = 'OData.Community.Display.V1.FormattedValue';
const LLN = 'Microsoft.Dynamics.CRM.lookuplogicalname';
const NAV = 'Microsoft.Dynamics.CRM.associatednavigationproperty';
const MACHINE = '1b2c3d4e-0000-1111-2222-333344445555';

describe('toApiRecord on rows of the real store', () => {
  let store: SqliteStore;
  let close: () => Promise<void>;
  let session: Record<string, unknown>;
  let machine: Record<string, unknown>;
  beforeAll(async () => {
    ({ store, close } = openTempStore());
    session = await store.sessions.insert({ name: 'nightly', statuscode: 2, statecode: 0, runmode: 2, _machineid_value: MACHINE, priority: 100 });
    session = await store.sessions.update(session['flowsessionid'] as string, { priority: 5 });
    machine = await store.machines.insert({ name: 'm1', credentialhash: 'secret-hash', connected: true, paused: false, statuscode: 5 });
  });
  afterAll(() => close());

  it('returns every visible field, null when unset, with the ETag from versionnumber', () => {
    const rec = toApiRecord(flowsessionEntity, session, {});
    expect(rec['@odata.etag']).toBe('W/"2"');
    const visible = Object.entries(flowsessionEntity.fields).filter(([, f]) => !('hidden' in f && f.hidden)).map(([name]) => name);
    expect(visible).not.toContain('secretinputs');
    expect(Object.keys(rec)).toEqual(['@odata.etag', ...visible]);
    expect(rec).toMatchObject({ name: 'nightly', priority: 5, statuscode: 2, callbackurl: null, versionnumber: 2 });
  });

  it('drops hidden fields and gives booleans as true / false', () => {
    const rec = toApiRecord(flowmachineEntity, machine, {});
    expect(rec).not.toHaveProperty('credentialhash');
    expect(rec).toMatchObject({ connected: true, paused: false, draining: null });
    expect(toApiRecord(flowmachineEntity, { ...machine, connected: 1, paused: 0 }, {})).toMatchObject({ connected: true, paused: false });
  });

  it('keeps the $select order, always adds the key and ignores unknown or hidden names', () => {
    const { select } = compileQuery(flowsessionEntity, new URLSearchParams('$select=statuscode,name'));
    expect(Object.keys(toApiRecord(flowsessionEntity, session, { select }))).toEqual(['@odata.etag', 'statuscode', 'name', 'flowsessionid']);
    expect(Object.keys(toApiRecord(flowmachineEntity, machine, { select: ['credentialhash', 'nope', 'flowmachineid', 'name'] }))).toEqual([
      '@odata.etag',
      'flowmachineid',
      'name',
    ]);
  });

  it('adds no annotations unless asked', () => {
    expect(Object.keys(toApiRecord(flowsessionEntity, session, {})).some((k) => k.includes('@OData') || k.includes('@Microsoft'))).toBe(false);
  });

  it('adds formatted values and lookup annotations, each before its value, with include-annotations="*"', () => {
    const { includeAnnotations } = parsePrefer('odata.include-annotations="*"');
    const rec = toApiRecord(flowsessionEntity, session, { select: ['statuscode', '_machineid_value', '_regardingobjectid_value', 'priority'], annotations: includeAnnotations });
    expect(rec).toEqual({
      '@odata.etag': 'W/"2"',
      [`statuscode@${FV}`]: 'Running',
      statuscode: 2,
      [`_machineid_value@${NAV}`]: 'machineid',
      [`_machineid_value@${LLN}`]: 'flowmachine',
      _machineid_value: MACHINE,
      _regardingobjectid_value: null,
      priority: 5,
      flowsessionid: session['flowsessionid'],
    });
    expect(Object.keys(rec).indexOf(`statuscode@${FV}`)).toBeLessThan(Object.keys(rec).indexOf('statuscode'));
  });

  it('adds only the annotations asked for', () => {
    const rec = toApiRecord(flowsessionEntity, session, { select: ['runmode', '_machineid_value'], annotations: FV });
    expect(rec[`runmode@${FV}`]).toBe('Unattended');
    expect(rec).not.toHaveProperty(`_machineid_value@${LLN}`);
    const lookups = toApiRecord(flowsessionEntity, session, { select: ['runmode', '_machineid_value'], annotations: 'Microsoft.Dynamics.CRM.*' });
    expect(lookups).toHaveProperty(`_machineid_value@${LLN}`, 'flowmachine');
    expect(lookups).not.toHaveProperty(`runmode@${FV}`);
  });

  it('formats the machine status option set too, and skips values without a label', () => {
    expect(toApiRecord(flowmachineEntity, machine, { annotations: '*' })[`statuscode@${FV}`]).toBe('DrainMode');
    expect(toApiRecord(flowmachineEntity, { ...machine, statuscode: 99 }, { annotations: '*' })).not.toHaveProperty(`statuscode@${FV}`);
  });

  it('omits the ETag when the row has no versionnumber', () => {
    expect(toApiRecord(flowsessionEntity, { ...session, versionnumber: null }, {})).not.toHaveProperty('@odata.etag');
  });
});

describe('wantsAnnotation', () => {
  it.each([
    [undefined, FV, false],
    ['', FV, false],
    ['*', FV, true],
    [FV, FV, true],
    [FV, LLN, false],
    ['OData.Community.Display.V1.*', FV, true],
    ['OData.*', FV, true],
    ['Microsoft.Dynamics.CRM.*', FV, false],
    [`*,-${FV}`, FV, false],
    ['*,-OData.*', FV, false],
    [`*,-${FV}`, LLN, true],
    [` ${LLN} , ${FV} `, FV, true],
  ])('%j asks for %s: %s', (pref, term, wanted) => {
    expect(wantsAnnotation(pref, term)).toBe(wanted);
  });
});
