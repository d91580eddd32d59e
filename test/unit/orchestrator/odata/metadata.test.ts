import { describe, expect, it } from 'vitest';
import { entities } from '../../../../shared/records/index.js';
import { metadataDocument } from '../../../../orchestrator/odata/index.js';
import { findAll, parseXml, type XmlElement } from './xml-well-formed.js';
import { RunDesktopFlowRequest } from '../../../../shared/api-actions.js';
import { COMPLEX_TYPES, ENTITY_SETS, OPERATIONS } from '../../../../shared/api-surface.js';
import { skipUnless } from '../../../support/requirements.js';
import { hasXmllint, xmllintCheck } from '../../../support/xmllint.js';

describe('the XML checker itself', () => {
  it.each(['<a><b></a></b>', '<a x="1" x="2"/>', '<a>&bogus;</a>', '<a>fish & chips</a>', '<a/><b/>', '<a>', '<a x=1/>', 'text<a/>'])('refuses %j', (xml) => {
    expect(() => parseXml(xml)).toThrow();
  });
  it('accepts a small document and unescapes attributes', () => {
    expect(parseXml('<?xml version="1.0"?>\n<a x="&lt;&amp;&quot;"><b/>t&amp;t</a>')).toEqual({ name: 'a', attrs: { x: '<&"' }, children: [{ name: 'b', attrs: {}, children: [] }] });
  });
});

describe('metadataDocument', () => {
  const root = parseXml(metadataDocument());
  const schema = findAll(root, 'Schema')[0]!;
  const byName = (els: XmlElement[], name: string): XmlElement | undefined => els.find((e) => e.attrs['Name'] === name);

  it('is a well-formed CSDL 4.0 edmx document in the Microsoft.Dynamics.CRM namespace', () => {
    expect(root.name).toBe('edmx:Edmx');
    expect(root.attrs).toMatchObject({ Version: '4.0', 'xmlns:edmx': 'http://docs.oasis-open.org/odata/ns/edmx' });
    expect(root.children.map((c) => c.name)).toEqual(['edmx:DataServices']);
    expect(schema.attrs).toMatchObject({ Namespace: 'Microsoft.Dynamics.CRM', Alias: 'mscrm', xmlns: 'http://docs.oasis-open.org/odata/ns/edm' });
  });

  it('declares an EntityType per entity with its key and visible properties only', () => {
    const types = findAll(schema, 'EntityType');
    for (const entity of Object.values(entities)) {
      const type = byName(types, entity.name)!;
      expect(type, entity.name).toBeDefined();
      expect(findAll(type, 'PropertyRef').map((p) => p.attrs['Name'])).toEqual([entity.key]);
      const props = findAll(type, 'Property');
      const visible = Object.entries(entity.fields).filter(([, f]) => !f.hidden);
      expect(props.map((p) => p.attrs['Name'])).toEqual(visible.map(([n]) => n));
      for (const [name, f] of visible) expect(byName(props, name)!.attrs).toMatchObject({ Type: f.edm, Nullable: name === entity.key ? 'false' : 'true' });
    }
  });

  it('leaves hidden fields out', () => {
    const doc = metadataDocument();
    for (const hidden of ['credentialhash', 'passwordhash', '"password"']) expect(doc).not.toContain(hidden);
  });

  it('declares lookups as navigation properties with a referential constraint', () => {
    const session = byName(findAll(schema, 'EntityType'), 'flowsession')!;
    const nav = byName(findAll(session, 'NavigationProperty'), 'machineid')!;
    expect(nav.attrs['Type']).toBe('mscrm.flowmachine');
    expect(nav.children[0]!.attrs).toEqual({ Property: '_machineid_value', ReferencedProperty: 'flowmachineid' });
  });

  it('has an EntityContainer with every entity set', () => {
    const sets = findAll(findAll(schema, 'EntityContainer')[0]!, 'EntitySet');
    expect(Object.fromEntries(sets.map((s) => [s.attrs['Name'], s.attrs['EntityType']]))).toEqual(
      Object.fromEntries(Object.values(entities).map((e) => [e.set, `mscrm.${e.name}`])),
    );
  });

  it.each([
    ['RunDesktopFlow', 'mscrm.workflow'],
    ['CancelDesktopFlowRun', 'mscrm.flowsession'],
    ['TriggerDesktopFlowRunCallback', 'mscrm.flowsession'],
    ['CreateMultiple', 'Collection(mscrm.crmbaseentity)'],
    ['UpdateMultiple', 'Collection(mscrm.crmbaseentity)'],
    ['DeleteMultiple', 'Collection(mscrm.crmbaseentity)'],
  ])('declares the bound action %s on %s', (name, binding) => {
    const action = byName(findAll(schema, 'Action'), name)!;
    expect(action.attrs['IsBound']).toBe('true');
    expect(action.children[0]).toMatchObject({ name: 'Parameter', attrs: { Name: 'entity', Type: binding } });
  });

  it('gives RunDesktopFlow its parameters (sessionUser, correlationId … as the handler accepts them) and the flowsessionId result', () => {
    const action = byName(findAll(schema, 'Action'), 'RunDesktopFlow')!;
    const params = findAll(action, 'Parameter').map((p) => [p.attrs['Name'], p.attrs['Type'], p.attrs['Nullable'] ?? 'true']);
    expect(params).toEqual([
      ['entity', 'mscrm.workflow', 'false'],
      ['runMode', 'Edm.String', 'false'],
      ['runPriority', 'Edm.String', 'true'],
      ['connectionName', 'Edm.String', 'true'],
      ['connectionType', 'Edm.Int32', 'true'],
      ['timeout', 'Edm.Int32', 'true'],
      ['inputs', 'Edm.String', 'true'],
      ['callbackUrl', 'Edm.String', 'true'],
      ['machineGroupId', 'Edm.Guid', 'true'],
      ['machineId', 'Edm.Guid', 'true'],
      ['scheduledFor', 'Edm.DateTimeOffset', 'true'],
      ['sessionUser', 'Edm.String', 'true'],
      ['correlationId', 'Edm.String', 'true'],
    ]);
    // Exactly the properties RunDesktopFlow's validator accepts.
    expect(params.slice(1).map(([name]) => name).sort()).toEqual(Object.keys(RunDesktopFlowRequest.properties).sort());
    expect(findAll(action, 'ReturnType')[0]!.attrs['Type']).toBe('mscrm.RunDesktopFlowResponse');
    const response = byName(findAll(schema, 'ComplexType'), 'RunDesktopFlowResponse')!;
    expect(response.children[0]!.attrs).toMatchObject({ Name: 'flowsessionId', Type: 'Edm.Guid' });
  });

  it('declares exactly the operations and complex types of shared/api-surface.ts, each as the table binds it', () => {
    const declared = [...findAll(schema, 'Action'), ...findAll(schema, 'Function')];
    expect(declared.map((d) => d.attrs['Name']).sort()).toEqual(OPERATIONS.map((o) => o.name).sort());
    for (const op of OPERATIONS) {
      const el = byName(declared, op.name)!;
      expect(el.name, op.name).toBe(op.kind);
      expect(el.attrs['IsBound'], op.name).toBe(op.binding.to === 'unbound' ? undefined : 'true');
      const names = findAll(el, 'Parameter').map((p) => p.attrs['Name']);
      expect(names, op.name).toEqual([...(op.binding.to === 'unbound' ? [] : ['entity']), ...Object.keys(op.params)]);
      expect(findAll(el, 'ReturnType').map((r) => r.attrs['Type']), op.name).toEqual(op.returns ? [`mscrm.${op.returns}`] : []);
    }
    expect(findAll(schema, 'ComplexType').map((c) => c.attrs['Name']).sort()).toEqual(Object.keys(COMPLEX_TYPES).sort());
    const container = findAll(schema, 'EntityContainer')[0]!;
    expect(findAll(container, 'FunctionImport').map((f) => f.attrs['Name'])).toEqual(['WhoAmI']);
    expect(Object.keys(entities).sort()).toEqual(ENTITY_SETS.map((s) => s.entity.set).sort());
  });

  it('is well-formed XML to libxml2 (xmllint), which refuses a broken document', () => {
    if (skipUnless(hasXmllint, 'xmllint (Debian package libxml2-utils)')) return;
    const check = xmllintCheck(metadataDocument());
    expect(check.errors).toBe('');
    expect(check.ok).toBe(true);
    expect(xmllintCheck(metadataDocument().replace('</Schema>', '')).ok).toBe(false);
  });

  it('gives TriggerDesktopFlowRunCallback its TriggerDesktopFlowRunCallbackResponse (callbackHttpResponseCode)', () => {
    const action = byName(findAll(schema, 'Action'), 'TriggerDesktopFlowRunCallback')!;
    expect(findAll(action, 'ReturnType')[0]!.attrs['Type']).toBe('mscrm.TriggerDesktopFlowRunCallbackResponse');
    const response = byName(findAll(schema, 'ComplexType'), 'TriggerDesktopFlowRunCallbackResponse')!;
    expect(response.children[0]!.attrs).toMatchObject({ Name: 'callbackHttpResponseCode', Type: 'Edm.Int32', Nullable: 'false' });
  });
});
