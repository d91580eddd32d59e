import { existsSync, renameSync } from 'node:fs';
import { AgentStore, type AgentStoreOptions } from './agent-store.js';

export interface OpenForMachineOptions extends AgentStoreOptions {
  /** Told once when a store of another machine is kept aside. */
  readonly warn: (message: string) => void;
}

/**
 * Opens `file` as the store of machine `flowmachineid`. A store records its machine at first use; one that belongs
 * to another machine (the agent registered anew) — or that served an orchestrator before identities were recorded —
 * is kept as `<file>.<old machine id>.bak` and a fresh store takes its place: its seqs, sessions and unsent events
 * mean nothing to the new machine. A store no orchestrator has seen yet (Local runs made before the first
 * registration) is adopted, so those runs are reported by this machine.
 */
export function openStoreForMachine(file: string, flowmachineid: string, opts: OpenForMachineOptions): AgentStore {
  const { warn, ...storeOptions } = opts;
  const store = AgentStore.open(file, storeOptions);
  let owner: string | undefined;
  try {
    owner = store.machineId();
    if (owner === flowmachineid) return store;
    if (owner === undefined && !store.usedUpstream()) {
      store.adoptMachineId(flowmachineid);
      return store;
    }
  } catch (err) {
    store.close();
    throw err;
  }
  const pending = store.pendingEventCount();
  store.close();
  const kept = keepAside(file, owner ?? 'unknown-machine');
  warn(
    `the local store ${file} belongs to machine ${owner ?? '(unrecorded, used by an earlier registration)'}, this agent is machine ${flowmachineid}: ` +
      `kept it as ${kept}${pending > 0 ? ` with ${pending} event(s) never reported` : ''} and started a fresh store`,
  );
  const fresh = AgentStore.open(file, storeOptions);
  fresh.adoptMachineId(flowmachineid);
  return fresh;
}

/** Renames the store with its -wal/-shm files to `<file>.<tag>.bak` (a numbered name when that exists). */
function keepAside(file: string, tag: string): string {
  let target = `${file}.${tag}.bak`;
  for (let n = 2; existsSync(target); n++) target = `${file}.${tag}.${n}.bak`;
  for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) renameSync(file + suffix, target + suffix);
  renameSync(file, target);
  return target;
}
