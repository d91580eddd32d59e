import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestOrchestrator, type TestOrchestrator } from '../../../support/orchestrator-harness.js';
import { apiError, createGroup, createWorkflow, runFlow } from './api-fixtures.js';

let o: TestOrchestrator;
let groupId: string;
const sessions: string[] = [];
beforeAll(async () => {
  o = await startTestOrchestrator();
  groupId = await createGroup(o);
  const wfId = await createWorkflow(o);
  for (let i = 0; i < 7; i += 1) sessions.push(await runFlow(o, wfId, { machineGroupId: groupId, runPriority: i % 2 === 0 ? 'normal' : 'high' }));
});
afterAll(async () => {
  await o.close();
});

describe('collection queries', () => {
  it('$select, $filter, $orderby, $top, $count', async () => {
    const res = await o.api('GET', `flowsessions?$select=name,priority&$filter=priority eq 100 and _machinegroupid_value eq ${groupId}&$orderby=createdon desc&$count=true`);
    expect(res.status, res.text).toBe(200);
    expect(res.json['@odata.context']).toBe(`${o.url}/api/data/v9.2/$metadata#flowsessions(name,priority)`);
    expect(res.json['@odata.count']).toBe(3);
    expect(res.json.value).toHaveLength(3);
    expect(Object.keys(res.json.value[0]).sort()).toEqual(['@odata.etag', 'flowsessionid', 'name', 'priority']);
    expect(res.json.value.map((r: { flowsessionid: string }) => r.flowsessionid)).toEqual([sessions[5], sessions[3], sessions[1]]);
    const top = await o.api('GET', 'flowsessions?$top=2&$count=true');
    expect(top.json.value).toHaveLength(2);
    expect(top.json['@odata.count']).toBe(7);
    expect(top.json).not.toHaveProperty('@odata.nextLink');
    const fn = await o.api('GET', "workflows?$filter=startswith(name,'w') and not contains(name,'zz')");
    expect(fn.json.value).toHaveLength(1);
  });

  it('pages with Prefer: odata.maxpagesize and an absolute @odata.nextLink that keeps the query', async () => {
    const seen: string[] = [];
    let url: string | undefined = `flowsessions?$select=name&$orderby=createdon asc`;
    let pages = 0;
    while (url) {
      const res = await o.api('GET', url.replace(`${o.url}/api/data/v9.2/`, ''), undefined, { prefer: 'odata.include-annotations="*", odata.maxpagesize=3' });
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get('preference-applied')).toContain('odata.maxpagesize=3');
      seen.push(...res.json.value.map((r: { flowsessionid: string }) => r.flowsessionid));
      url = res.json['@odata.nextLink'];
      if (url) {
        expect(url.startsWith(`${o.url}/api/data/v9.2/flowsessions?`)).toBe(true);
        expect(url).toContain('$skiptoken=');
        expect(url).toContain('$select=name');
      }
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(sessions);
  });

  it('$top across pages stops at $top', async () => {
    const first = await o.api('GET', 'flowsessions?$top=5&$orderby=createdon', undefined, { prefer: 'odata.maxpagesize=3' });
    expect(first.json.value).toHaveLength(3);
    const next = await fetch(first.json['@odata.nextLink'], { headers: { authorization: `Bearer ${o.token}` } });
    const body = (await next.json()) as { value: unknown[]; '@odata.nextLink'?: string };
    expect(body.value).toHaveLength(2);
    expect(body['@odata.nextLink']).toBeUndefined();
  });

  it('formatted values with Prefer: odata.include-annotations', async () => {
    const res = await o.api('GET', `flowsessions(${sessions[0]})?$select=statuscode,runmode`, undefined, { prefer: 'odata.include-annotations="OData.Community.Display.V1.FormattedValue"' });
    expect(res.json['statuscode@OData.Community.Display.V1.FormattedValue']).toBe('Waiting');
    expect(res.json['runmode@OData.Community.Display.V1.FormattedValue']).toBe('Unattended');
  });

  it('<set>/$count answers a bare number as text/plain, honouring $filter', async () => {
    const res = await o.api('GET', 'flowsessions/$count?$filter=priority eq 0');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toBe('4');
  });

  it('bad query options are 400 with the OData code', async () => {
    const cases: [string, string][] = [
      ['flowsessions?$filter=priority eq', 'InvalidFilter'],
      ['flowsessions?$filter=nosuchfield eq 1', 'UnknownProperty'],
      ["flowsessions?$filter=priority eq 'x'", 'TypeMismatch'],
      ['flowsessions?$select=passwordhash', 'UnknownProperty'],
      ['flowsessions?$top=-1', 'InvalidQueryOption'],
      ['flowsessions?$expand=x', 'UnknownQueryOption'],
      ['flowsessions?$skiptoken=abc', 'InvalidSkipToken'],
    ];
    for (const [path, reason] of cases) {
      const res = await o.api('GET', path);
      expect(res.status, path).toBe(400);
      // Dataverse answers an unknown property with code 0x0; the others have no Dataverse code.
      expect(apiError(res), path).toMatchObject({ reason, code: reason === 'UnknownProperty' ? '0x0' : reason });
    }
    const prefer = await o.api('GET', 'flowsessions', undefined, { prefer: 'odata.maxpagesize=zero' });
    expect(prefer.status).toBe(400);
  });

  it('parameter aliases stand for $filter values and are kept in @odata.nextLink', async () => {
    const query = `flowsessions?$select=name&$filter=priority eq @p1 and _machinegroupid_value eq @group and startswith(name,@prefix)&$orderby=createdon&@p1=100&@group=${groupId}&@prefix=''`;
    const first = await o.api('GET', query, undefined, { prefer: 'odata.maxpagesize=2' });
    expect(first.status, first.text).toBe(200);
    expect(first.json.value.map((r: { flowsessionid: string }) => r.flowsessionid)).toEqual([sessions[1], sessions[3]]);
    const link: string = first.json['@odata.nextLink'];
    expect(link).toContain('@p1=100');
    const next = await o.api('GET', link.replace(`${o.url}/api/data/v9.2/`, ''), undefined, { prefer: 'odata.maxpagesize=2' });
    expect(next.json.value.map((r: { flowsessionid: string }) => r.flowsessionid)).toEqual([sessions[5]]);
    const count = await o.api('GET', 'flowsessions/$count?$filter=priority eq @p&@p=0');
    expect(count.text).toBe('4');
  });

  it('fetchXml, saved views, aliases and unknown parameters are refused by name, never ignored', async () => {
    const fetchXml = encodeURIComponent('<fetch top="1"><entity name="flowsession"><attribute name="name"/></entity></fetch>');
    const cases: [string, string, string][] = [
      [`flowsessions?fetchXml=${fetchXml}`, 'UnsupportedQueryParameter', "'fetchXml'"],
      [`flowsessions/$count?fetchXml=${fetchXml}`, 'UnsupportedQueryParameter', "'fetchXml'"],
      [`flowsessions(${sessions[0]})?savedQuery=00000000-0000-4000-8000-000000000001`, 'UnsupportedQueryParameter', "'savedQuery'"],
      ['flowsessions?userQuery=00000000-0000-4000-8000-000000000001', 'UnsupportedQueryParameter', "'userQuery'"],
      ['flowsessions?$filter=priority eq @p1', 'InvalidFilter', "'@p1'"],
      ['flowsessions?$filter=priority eq @p1&@p1=1&@p-2=1', 'InvalidQueryOption', "'@p-2'"],
      ['flowsessions?select=name', 'UnknownQueryOption', "'select'"],
      [`flowsessions(${sessions[0]})?nosuch=1`, 'UnknownQueryOption', "'nosuch'"],
      ['flowsessions?$nosuch=1', 'UnknownQueryOption', "'$nosuch'"],
    ];
    for (const [path, reason, named] of cases) {
      const res = await o.api('GET', path);
      expect(res.status, path).toBe(400);
      expect(apiError(res), path).toMatchObject({ reason, code: reason });
      expect(apiError(res).message, path).toContain(named);
    }
  });

  it('single records: 404 for an unknown id, 400 for a key that is not a GUID', async () => {
    const missing = await o.api('GET', 'flowsessions(00000000-0000-4000-8000-000000000000)');
    expect(missing.status).toBe(404);
    // Dataverse's ObjectDoesNotExist code, flowhost's reason beside it.
    expect(apiError(missing)).toMatchObject({ code: '0x80040217', reason: 'NotFound' });
    const bad = await o.api('GET', 'flowsessions(42)');
    expect(bad.status).toBe(400);
    expect(apiError(bad).code).toBe('InvalidKey');
    const ok = await o.api('GET', `flowsessions(${sessions[0]!.toUpperCase()})`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('etag')).toBe(ok.json['@odata.etag']);
  });
});

describe('service documents', () => {
  it('GET $metadata is CSDL XML naming every entity set and action', async () => {
    const res = await o.api('GET', '$metadata');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/xml/);
    for (const set of ['flowsessions', 'flowmachines', 'flowmachinegroups', 'workflows', 'flowlogs', 'backgroundoperations', 'RunDesktopFlow']) expect(res.text).toContain(set);
  });

  it('GET /api/data/v9.2/ lists the entity sets', async () => {
    const res = await o.api('GET', '');
    expect(res.json.value.map((v: { name: string }) => v.name)).toEqual(['flowsessions', 'flowmachines', 'flowmachinegroups', 'workflows', 'flowlogs', 'backgroundoperations', 'schedules']);
    expect(res.headers.get('odata-version')).toBe('4.0');
    expect(res.headers.get('content-type')).toBe('application/json; odata.metadata=minimal');
  });
});

describe('WhoAmI', () => {
  it('GET WhoAmI and WhoAmI() answer the same ids under the WhoAmIResponse context; it is listed in $metadata', async () => {
    const bare = await o.api('GET', 'WhoAmI');
    expect(bare.status, bare.text).toBe(200);
    expect(Object.keys(bare.json)).toEqual(['@odata.context', 'BusinessUnitId', 'UserId', 'OrganizationId']);
    expect(bare.json['@odata.context']).toBe(`${o.url}/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`);
    expect((await o.api('GET', 'WhoAmI()')).json).toEqual(bare.json);
    const csdl = (await o.api('GET', '$metadata')).text;
    expect(csdl).toContain('<ComplexType Name="WhoAmIResponse">');
    expect(csdl).toContain('<Function Name="WhoAmI">');
    expect(csdl).toContain('<FunctionImport Name="WhoAmI" Function="mscrm.WhoAmI"/>');
  });

  it('WhoAmI is GET only and takes no query options', async () => {
    const post = await o.api('POST', 'WhoAmI');
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    const option = await o.api('GET', 'WhoAmI?$select=UserId');
    expect(option.status).toBe(400);
    expect(apiError(option)).toMatchObject({ reason: 'UnknownQueryOption', message: expect.stringContaining("'$select'") });
  });
});
