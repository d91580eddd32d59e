import { describe, expect, it } from 'vitest';
import { methodLabel, routeLabel } from '../../../../orchestrator/metrics/api-route.js';

const API = '/api/data/v9.2';
const ID = '0b6e9a52-3b4f-4c1e-9a55-8d6f3e2a1c00';

describe('routeLabel: few label values whatever the path', () => {
  it('names entity sets, records (ids as {id}), counts, $metadata and functions of the Web API', () => {
    const label = (path: string) => routeLabel(`${API}/*`, `${API}/${path}`, 200);
    expect(label('flowsessions?$filter=statuscode eq 3')).toBe(`${API}/flowsessions`);
    expect(label(`flowsessions(${ID})`)).toBe(`${API}/flowsessions({id})`);
    expect(label('flowsessions/$count')).toBe(`${API}/flowsessions/$count`);
    expect(label('$metadata')).toBe(`${API}/$metadata`);
    expect(label('WhoAmI()')).toBe(`${API}/WhoAmI`);
    expect(label('WhoAmI')).toBe(`${API}/WhoAmI`);
    expect(routeLabel(API, API, 200)).toBe(`${API}/`);
  });

  it('keeps an action name only for an answered request: a refused path cannot add series', () => {
    const path = `${API}/workflows(${ID})/Microsoft.Dynamics.CRM.RunDesktopFlow`;
    expect(routeLabel(`${API}/*`, path, 200)).toBe(`${API}/workflows({id})/RunDesktopFlow`);
    expect(routeLabel(`${API}/*`, path, 400)).toBe(`${API}/workflows({id})/{action}`);
    // An action the API does not serve there names nothing (shared/api-surface.ts).
    expect(routeLabel(`${API}/*`, `${API}/workflows(${ID})/Microsoft.Dynamics.CRM.Made${'Up'.repeat(50)}`, 401)).toBe(`${API}/{unknown}`);
    expect(routeLabel(`${API}/*`, `${API}/flowsessions(${ID})/Microsoft.Dynamics.CRM.RunDesktopFlow`, 404)).toBe(`${API}/{unknown}`);
    expect(routeLabel(`${API}/*`, `${API}/flowsessions/Microsoft.Dynamics.CRM.CreateMultiple`, 200)).toBe(`${API}/flowsessions/CreateMultiple`);
  });

  it('unknown sets and paths collapse to one value; other routes keep their pattern', () => {
    expect(routeLabel(`${API}/*`, `${API}/nosuchset${'x'.repeat(300)}`, 404)).toBe(`${API}/{unknown}`);
    expect(routeLabel(`${API}/*`, `${API}/flowsessions(%zz)`, 400)).toBe(`${API}/{unknown}`);
    expect(routeLabel(undefined, '/random/path/12345', 404)).toBe('unmatched');
    expect(routeLabel('/api/backgroundoperation/:id', `/api/backgroundoperation/${ID}`, 200)).toBe('/api/backgroundoperation/:id');
  });

  it('methods outside HTTP become OTHER', () => {
    expect(methodLabel('GET')).toBe('GET');
    expect(methodLabel('PROPFIND')).toBe('OTHER');
  });
});
