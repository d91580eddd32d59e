import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowDefinition } from '../../../shared/flow-definition.js';
import type { UserIdentity } from '../process/session-user.js';
import { baseEnv, inputEnv } from './flow-env.js';

/** Everything needed to spawn one flow. */
export interface LaunchPlan {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd: string;
  /** Set when the flow runs as another user and no setpriv wrapper is used (Node then sets uid/gid only). */
  readonly uid?: number;
  readonly gid?: number;
  /** Holds inputs.json, the script file and the outputs file; removed after the run (it holds secrets). */
  readonly workDir: string;
  readonly outputsFile: string;
}

export interface LaunchRequest {
  readonly sessionId: string;
  readonly flow: FlowDefinition;
  readonly inputs: string;
  readonly dataDir: string;
  /** Run as this user (another than the agent's); undefined = the agent's own user. */
  readonly user?: UserIdentity;
  readonly env?: NodeJS.ProcessEnv;
  /** The Node binary for `node` flows (the agent's own; inside Electron, with ELECTRON_RUN_AS_NODE). */
  readonly execPath?: string;
  /** `setpriv` path, used to set uid, gid and supplementary groups; undefined = find it on Linux. */
  readonly setprivPath?: string | null;
}

const SHELLS = {
  bash: { file: 'bash', ext: '.sh', args: (s: string) => [s] },
  sh: { file: 'sh', ext: '.sh', args: (s: string) => [s] },
  pwsh: { file: 'pwsh', ext: '.ps1', args: (s: string) => ['-NoProfile', '-NonInteractive', '-File', s] },
  cmd: { file: 'cmd.exe', ext: '.cmd', args: (s: string) => ['/d', '/c', s] },
} as const;

/**
 * Creates the session's work dir and files (0600) and returns how to spawn the flow. Inputs reach the flow only as
 * a file and env vars, never as part of a command line. The work dir is `<dataDir>/sessions/<id>/`; for another
 * user it is a fresh dir under the OS temp dir owned by that user, since the data dir is private to the agent.
 */
export function prepareLaunch(req: LaunchRequest): LaunchPlan {
  const workDir = req.user ? mkdtempSync(join(tmpdir(), `flowhost-${req.sessionId}-`)) : join(req.dataDir, 'sessions', req.sessionId);
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  chmodSync(workDir, 0o700);
  const write = (name: string, content: string): string => {
    const path = join(workDir, name);
    writeFileSync(path, content, { mode: 0o600 });
    if (req.user) chownSync(path, req.user.uid, req.user.gid);
    return path;
  };
  if (req.user) chownSync(workDir, req.user.uid, req.user.gid);
  const inputsFile = write('inputs.json', req.inputs);
  const outputsFile = join(workDir, 'outputs.json');
  rmSync(outputsFile, { force: true });
  const env: Record<string, string> = {
    ...baseEnv(req.env ?? process.env, req.user),
    ...(req.flow.env ?? {}),
    ...inputEnv(req.inputs),
    FLOWHOST_INPUTS: inputsFile,
    FLOWHOST_OUTPUTS: outputsFile,
    FLOWHOST_SESSION_ID: req.sessionId,
  };
  const { file, args } = command(req, write, env);
  const plan = { file, args, env, cwd: req.flow.cwd ?? workDir, workDir, outputsFile };
  return req.user ? asUser(plan, req.user, req.setprivPath === undefined ? findSetpriv() : req.setprivPath) : plan;
}

function command(req: LaunchRequest, write: (name: string, content: string) => string, env: Record<string, string>): { file: string; args: string[] } {
  const flow = req.flow;
  switch (flow.kind) {
    case 'command':
      return { file: flow.argv[0] as string, args: flow.argv.slice(1) };
    case 'shell': {
      const shell = SHELLS[flow.shell];
      return { file: shell.file, args: shell.args(write(`script${shell.ext}`, flow.script)) };
    }
    case 'node':
      env['ELECTRON_RUN_AS_NODE'] = '1';
      return { file: req.execPath ?? process.execPath, args: [write('script.mjs', flow.script)] };
  }
}

/**
 * Node's uid/gid spawn options drop every supplementary group (libuv calls setgroups(0)), so on Linux the flow
 * starts through util-linux `setpriv`, which sets uid, gid and the user's groups and then execs the flow (no
 * extra process stays around). Without setpriv the flow runs with uid/gid only: a documented limit.
 */
function asUser(plan: LaunchPlan, user: UserIdentity, setpriv: string | null): LaunchPlan {
  if (!setpriv) return { ...plan, uid: user.uid, gid: user.gid };
  const groups = user.groups.length > 0 ? `--groups=${user.groups.join(',')}` : '--clear-groups';
  return { ...plan, file: setpriv, args: [`--reuid=${user.uid}`, `--regid=${user.gid}`, groups, '--', plan.file, ...plan.args] };
}

function findSetpriv(): string | null {
  if (process.platform !== 'linux') return null;
  return ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv'].find((p) => existsSync(p)) ?? null;
}
