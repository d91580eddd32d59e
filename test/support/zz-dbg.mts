import { startTestOrchestrator } from './orchestrator-harness.ts';
const o = await startTestOrchestrator();
const g = await o.api('POST', 'flowmachinegroups', { name: 'g', password: 'pppppppppp' });
for (let i = 0; i < 4; i++) await o.api('POST', 'workflows', { name: 'w' + i, clientdata: JSON.stringify({ schemaversion: 1, kind: 'command', argv: ['x'] }) });
let url = 'workflows?$select=name&$orderby=createdon asc';
for (let i = 0; i < 3 && url; i++) {
  const r = await o.api('GET', url.replace(`${o.url}/api/data/v9.2/`, ''), undefined, { prefer: 'odata.maxpagesize=3' });
  console.log(r.status, r.json['@odata.nextLink'], r.json.value?.length);
  url = r.json['@odata.nextLink'];
}
await o.close();
