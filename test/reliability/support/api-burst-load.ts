import { Agent as HttpAgent, request as httpRequest } from 'node:http';

/**
 * The mixed Web API burst of the api-burst test (which asserts every answer's status) and bench (which measures its
 * rate and latency): collection GETs with $filter, GETs by id, session creation, bad bodies, bad filters, a missing
 * token, unknown ids, sent `inFlight` at a time over keep-alive connections.
 */
export interface BurstKind {
  readonly name: string;
  readonly expect: number;
  readonly method: string;
  path(): string;
  readonly body?: string;
  readonly auth?: false;
}

const NONEXISTENT = '0b5c8a4e-9f3d-4c1a-8e2b-7d6f5a4c3b21';

/** Per 20 requests: 8 collection GETs, 6 GETs by id, 1 session creation (an fsync'd commit), 5 bad ones. */
export const BURST_CYCLE = 20;

/** Created sessions go to `parked` (a group without machines), so they wait. */
export function burstKinds(ids: { readonly workflow: string; readonly group: string; readonly parked: string }): { readonly cycle: readonly BurstKind[]; readonly create: readonly BurstKind[] } {
  const collection: BurstKind[] = [
    { name: 'GET collection $filter', expect: 200, method: 'GET', path: () => `flowsessions?$filter=statuscode%20eq%203%20and%20priority%20ge%200&$select=name,statuscode&$top=50` },
    { name: 'GET collection $filter', expect: 200, method: 'GET', path: () => `workflows?$filter=contains(name,'hel')&$count=true` },
  ];
  const byId: BurstKind[] = [
    { name: 'GET by id', expect: 200, method: 'GET', path: () => `workflows(${ids.workflow})` },
    { name: 'GET by id', expect: 200, method: 'GET', path: () => `flowmachinegroups(${ids.group})?$select=name` },
  ];
  const create: BurstKind[] = [
    { name: 'POST RunDesktopFlow', expect: 200, method: 'POST', path: () => `workflows(${ids.workflow})/Microsoft.Dynamics.CRM.RunDesktopFlow`, body: JSON.stringify({ runMode: 'unattended', machineGroupId: ids.parked }) },
    { name: 'POST flowsessions', expect: 204, method: 'POST', path: () => 'flowsessions', body: JSON.stringify({ _regardingobjectid_value: ids.workflow, _machinegroupid_value: ids.parked }) },
  ];
  const bad: BurstKind[] = [
    { name: 'bad body', expect: 400, method: 'POST', path: () => 'flowsessions', body: JSON.stringify({ _regardingobjectid_value: ids.workflow, colour: 'red' }) },
    { name: 'bad $filter', expect: 400, method: 'GET', path: () => `flowsessions?$filter=priority%20eq%20'` },
    { name: 'no token', expect: 401, method: 'GET', path: () => 'flowsessions', auth: false },
    { name: 'unknown id', expect: 404, method: 'GET', path: () => `workflows(${NONEXISTENT})` },
  ];
  // The last of each cycle creates a session, alternating between RunDesktopFlow and POST flowsessions.
  return { cycle: [...collection, ...collection, ...collection, ...collection, ...byId, ...byId, ...byId, ...bad, bad[0]!], create };
}

function send(pool: HttpAgent, url: string, token: string, kind: BurstKind): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (kind.auth !== false) headers['authorization'] = `Bearer ${token}`;
    if (kind.body !== undefined) headers['content-type'] = 'application/json';
    const req = httpRequest(`${url}/api/data/v9.2/${kind.path()}`, { method: kind.method, headers, agent: pool }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(kind.body);
  });
}

export interface BurstAnswer {
  readonly kind: BurstKind;
  readonly status: number;
  readonly ms: number;
}

/** Sends `total` requests of `kinds`, `inFlight` at a time on keep-alive connections; every answer, in no order. */
export async function sendBurst(url: string, token: string, kinds: ReturnType<typeof burstKinds>, total: number, inFlight: number): Promise<BurstAnswer[]> {
  const pool = new HttpAgent({ keepAlive: true, maxSockets: inFlight });
  const answers: BurstAnswer[] = [];
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < total) {
          const i = next++;
          const slot = i % BURST_CYCLE;
          const kind = slot === BURST_CYCLE - 1 ? kinds.create[Math.floor(i / BURST_CYCLE) % 2]! : kinds.cycle[slot]!;
          const start = performance.now();
          const status = await send(pool, url, token, kind);
          answers.push({ kind, status, ms: performance.now() - start });
        }
      }),
    );
  } finally {
    pool.destroy();
  }
  return answers;
}
