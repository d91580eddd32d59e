import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS, operationNames } from '../../../../shared/api-surface.js';
import { entities } from '../../../../shared/records/index.js';
import { BULK_ACTIONS } from '../../../../orchestrator/api/bulk-actions.js';
import { UNBOUND_FUNCTIONS } from '../../../../orchestrator/api/paths.js';
import { startTestOrchestrator, type TestOrchestrator } from '../../../support/orchestrator-harness.js';
import { apiError } from './api-fixtures.js';

/**
 * The dispatch serves exactly what shared/api-surface.ts lists (the table `$metadata` is written from): every entity
 * set, every action where the table binds it and nowhere else, every unbound function. Each call is made so that it
 * changes nothing (an id that does not exist, an empty body); what counts is that it reached the operation.
 */
let o: TestOrchestrator;
beforeAll(async () => {
  o = await startTestOrchestrator();
});
afterAll(async () => {
  await o?.close();
});

const sets = Object.keys(entities);
const candidateActions = [...new Set([...OPERATIONS.map((op) => op.name), 'Explode'])];
const reason = (res: { status: number; json: unknown; text: string }) => (res.status >= 400 ? apiError(res).reason : 'ok');

describe('the dispatch serves exactly the API surface table', () => {
  it('every entity set of the table, and no other', async () => {
    for (const set of sets) expect((await o.api('GET', `${set}?$top=1`)).status, set).toBe(200);
    expect(reason(await o.api('GET', 'flowthings'))).toBe('UnknownEntitySet');
  });

  it('each action bound to records of the sets the table names, and to no other set', async () => {
    for (const set of sets) {
      for (const name of candidateActions) {
        const res = await o.api('POST', `${set}(${randomUUID()})/Microsoft.Dynamics.CRM.${name}`, {});
        const listed = OPERATIONS.some((op) => op.name === name && op.binding.to === 'record' && op.binding.set === set);
        expect(reason(res) === 'UnknownAction', `${set}(…)/${name}: ${res.status} ${res.text.slice(0, 200)}`).toBe(!listed);
      }
    }
  });

  it('each collection-bound action on every set, and no other', async () => {
    for (const set of sets) {
      for (const name of candidateActions) {
        const res = await o.api('POST', `${set}/Microsoft.Dynamics.CRM.${name}`, {});
        const listed = operationNames('collection').includes(name);
        expect(reason(res) === 'UnknownAction', `${set}/${name}: ${res.status} ${res.text.slice(0, 200)}`).toBe(!listed);
      }
    }
    expect([...BULK_ACTIONS].sort()).toEqual(operationNames('collection').sort());
  });

  it('each unbound function at the service root', async () => {
    expect([...UNBOUND_FUNCTIONS].sort()).toEqual(operationNames('unbound').sort());
    for (const name of operationNames('unbound')) expect((await o.api('GET', name)).status, name).toBe(200);
  });
});
