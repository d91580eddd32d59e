import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { hashToken, newSecret } from '../../../orchestrator/auth/secrets.js';
import { SqliteStore } from '../../../orchestrator/store/sqlite-store.js';

export interface FanoutSeed {
  readonly groupId: string;
  readonly workflowId: string;
  readonly machineIds: string[];
  /** One credential shared by every simulated machine. */
  readonly credential: string;
}

/**
 * Writes a group, a workflow and `machines` registered machines (capacity 1) straight into the orchestrator's
 * database in `dataDir`, before it starts: registering 10,000 machines over HTTP would be the bottleneck.
 */
export async function seedFanout(dataDir: string, machines: number): Promise<FanoutSeed> {
  const store = new SqliteStore({ file: join(dataDir, 'orchestrator.db') });
  try {
    const credential = newSecret();
    // Hashed as registration hashes a machine credential.
    const credentialhash = hashToken(credential);
    return await store.transaction(async (tx) => {
      const groupId = (await tx.groups.insert({ name: 'fan-out', preferredqueuingtype: 1, statecode: 0, statuscode: 1 })).flowmachinegroupid;
      const clientdata = JSON.stringify({ schemaversion: 1, kind: 'command', argv: ['/bin/true'] });
      const workflowId = (await tx.workflows.insert({ name: 'true', category: 6, clientdata })).workflowid;
      const machineIds: string[] = [];
      for (let i = 0; i < machines; i++) {
        const flowmachineid = randomUUID();
        await tx.machines.insert({
          flowmachineid,
          name: `fan-out-${i}`,
          _flowmachinegroupid_value: groupId,
          sessioncapacity: 1,
          statecode: 0,
          statuscode: 2,
          connected: false,
          credentialhash,
        });
        machineIds.push(flowmachineid);
      }
      return { groupId, workflowId, machineIds, credential };
    });
  } finally {
    await store.close();
  }
}
