import { chmodSync, existsSync, mkdirSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FlowDefinition } from '../../../shared/flow-definition.js';
import type { UserIdentity } from '../process/session-user.js';
import { ENV_FILE_NAME, envFileText, withEnvFile } from './env-file.js';
import { baseEnv, inputEnv } from './flow-env.js';
import { makeRunAsDir, removeRunAsDir, USER_SUBDIR, writeOwnedFile, type DirOwner } from './run-as-dir.js';

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
  /** What the agent put in the work dir (inputs.json, the script); with the outputs file, all a flow usually leaves there. */
  readonly files: readonly string[];
  /** Set for a run as another user: the work dir is the agent's, see run-as-dir.ts. */
  readonly owner?: DirOwner;
  /** The file the flow's variables are read from after setpriv's drop (env-file.ts); `env` is then empty. */
  readonly envFile?: string;
  /** The flow's variables (in `env`, or in `envFile`). */
  readonly flowEnv: Readonly<Record<string, string>>;
}

export interface LaunchRequest {
  readonly sessionId: string;
  readonly flow: FlowDefinition;
  readonly inputs: string;
  readonly dataDir: string;
  /** Run as this user (another than the agent's); undefined = the agent's own user. */
  readonly user?: UserIdentity;
  readonly env?: NodeJS.ProcessEnv;
  /** `baseEnv(env, undefined)` computed once by the caller (it copies every variable); only used without `user`. */
  readonly ownEnv?: Readonly<Record<string, string>>;
  /** The Node binary for `node` flows (the agent's own; inside Electron, with ELECTRON_RUN_AS_NODE). */
  readonly execPath?: string;
  /** `setpriv` path, used to set uid, gid and supplementary groups; undefined = find it on Linux. */
  readonly setprivPath?: string | null;
  /** The session's own variables (FLOWHOST_SESSION_TOKEN, FLOWHOST_API_URL): set last, so a flow definition cannot replace them. */
  readonly sessionEnv?: Readonly<Record<string, string>>;
  /** Called with a run-as work dir as soon as it exists, before any secret is written into it (the store records it). */
  readonly recordWorkDir?: (dir: string, owner: DirOwner) => void;
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
 * user it is a fresh dir under the OS temp dir (run-as-dir.ts), since the data dir is private to the agent.
 * Synchronous: a few syscalls cost less CPU on the event loop than as many thread-pool round trips (measured).
 */
export function prepareLaunch(req: LaunchRequest): LaunchPlan {
  return req.user ? prepareRunAs(req, req.user) : prepareOwn(req);
}

function prepareOwn(req: LaunchRequest): LaunchPlan {
  const workDir = join(req.dataDir, 'sessions', req.sessionId);
  const outputsFile = join(workDir, 'outputs.json');
  // One mkdir: a dir it creates has mode 0700 (a umask only removes bits) and holds no old outputs.
  if (mkdirSync(workDir, { recursive: true, mode: 0o700 }) === undefined) {
    // Left by an earlier attempt (the agent stopped before removing it): make it private again, drop old outputs.
    chmodSync(workDir, 0o700);
    rmSync(outputsFile, { force: true });
  }
  const inputsFile = join(workDir, 'inputs.json');
  const script = scriptOf(req.flow);
  const scriptFile = script ? join(workDir, script.name) : undefined;
  writeFileSync(inputsFile, req.inputs, { mode: 0o600 });
  if (script && scriptFile) writeFileSync(scriptFile, script.content, { mode: 0o600 });
  const files = scriptFile ? [inputsFile, scriptFile] : [inputsFile];
  const env = flowEnv(req, req.ownEnv ?? baseEnv(req.env ?? process.env, undefined), inputsFile, outputsFile);
  const { file, args } = command(req, scriptFile, env);
  return { file, args, env, cwd: req.flow.cwd ?? workDir, workDir, outputsFile, files, flowEnv: env };
}

/**
 * Another user: the work dir is the agent's and holds the files given to the user (inputs, script, an empty outputs
 * file, the env file); the flow starts in its own subdir. setpriv (root until it drops) gets an empty environment
 * and the flow's variables come from the env file after the drop (env-file.ts).
 */
function prepareRunAs(req: LaunchRequest, user: UserIdentity): LaunchPlan {
  const owner: DirOwner = { uid: user.uid, gid: user.gid };
  const workDir = makeRunAsDir(req.sessionId, owner, (dir) => req.recordWorkDir?.(dir, owner));
  try {
    const outputsFile = join(workDir, 'outputs.json');
    const inputsFile = join(workDir, 'inputs.json');
    const script = scriptOf(req.flow);
    const scriptFile = script ? join(workDir, script.name) : undefined;
    writeOwnedFile(inputsFile, req.inputs, owner);
    if (script && scriptFile) writeOwnedFile(scriptFile, script.content, owner);
    writeOwnedFile(outputsFile, '', owner);
    const env = flowEnv(req, baseEnv(req.env ?? process.env, user), inputsFile, outputsFile);
    const { file, args } = command(req, scriptFile, env);
    const plan = { file, args, env, cwd: req.flow.cwd ?? join(workDir, USER_SUBDIR), workDir, outputsFile, files: [], owner, flowEnv: env };
    const setpriv = req.setprivPath === undefined ? findSetpriv() : req.setprivPath;
    if (!setpriv) return { ...plan, uid: user.uid, gid: user.gid };
    const envFile = join(workDir, ENV_FILE_NAME);
    writeOwnedFile(envFile, envFileText(env), owner);
    return { ...plan, file: setpriv, args: [...runAsArgs(user), ...withEnvFile(envFile, file, args)], env: {}, envFile };
  } catch (err) {
    rmSync(workDir, { recursive: true, force: true }); // the agent's files only: no flow has run in it
    throw err;
  }
}

/** setpriv's arguments that drop to `user` (uid, gid, supplementary groups), up to the `--` before the command. */
export function runAsArgs(user: UserIdentity): string[] {
  const groups = user.groups.length > 0 ? `--groups=${user.groups.join(',')}` : '--clear-groups';
  return [`--reuid=${user.uid}`, `--regid=${user.gid}`, groups, '--'];
}

/**
 * The plan with more variables for the flow (its display's), set before it spawns: in `env`, or by rewriting the env
 * file (the agent's entry in the agent's dir; the flow has not run yet). `files` are more of the agent's files in the
 * work dir, removed with it.
 */
export function withMoreEnv(plan: LaunchPlan, more: Readonly<Record<string, string>>, files: readonly string[] = []): LaunchPlan {
  const flowEnv = { ...plan.flowEnv, ...more };
  const withFiles = { ...plan, flowEnv, files: [...plan.files, ...files] };
  if (plan.envFile === undefined || plan.owner === undefined) return { ...withFiles, env: { ...plan.env, ...more } };
  unlinkSync(plan.envFile);
  writeOwnedFile(plan.envFile, envFileText(flowEnv), plan.owner);
  return withFiles;
}

function flowEnv(req: LaunchRequest, base: Readonly<Record<string, string>>, inputsFile: string, outputsFile: string): Record<string, string> {
  return {
    ...base,
    ...(req.flow.env ?? {}),
    ...inputEnv(req.inputs),
    FLOWHOST_INPUTS: inputsFile,
    FLOWHOST_OUTPUTS: outputsFile,
    FLOWHOST_SESSION_ID: req.sessionId,
    ...req.sessionEnv,
  };
}

/**
 * Removes the work dir after the run (it holds the inputs). The agent's own: the files it put there, the outputs file
 * and the dir, a few syscalls; the recursive remove (a walk of the tree, off the event loop) only when the flow left
 * more. Another user's: run-as-dir.ts (nothing the flow left is removed with the agent's rights).
 */
export async function removeWorkDir(plan: LaunchPlan): Promise<void> {
  if (plan.owner) {
    await removeRunAsDir(plan.workDir, plan.owner);
    return;
  }
  for (const file of [...plan.files, plan.outputsFile]) {
    try {
      unlinkSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  try {
    rmdirSync(plan.workDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    await rm(plan.workDir, { recursive: true, force: true });
  }
}

function scriptOf(flow: FlowDefinition): { readonly name: string; readonly content: string } | undefined {
  if (flow.kind === 'shell') return { name: `script${SHELLS[flow.shell].ext}`, content: flow.script };
  if (flow.kind === 'node') return { name: 'script.mjs', content: flow.script };
  return undefined;
}

function command(req: LaunchRequest, scriptFile: string | undefined, env: Record<string, string>): { file: string; args: string[] } {
  const flow = req.flow;
  switch (flow.kind) {
    case 'command':
      return { file: flow.argv[0] as string, args: flow.argv.slice(1) };
    case 'shell': {
      const shell = SHELLS[flow.shell];
      return { file: shell.file, args: shell.args(scriptFile as string) };
    }
    case 'node':
      env['ELECTRON_RUN_AS_NODE'] = '1';
      return { file: req.execPath ?? process.execPath, args: [scriptFile as string] };
  }
}

/**
 * Node's uid/gid spawn options drop every supplementary group (libuv calls setgroups(0)), so on Linux the flow
 * starts through util-linux `setpriv`, which sets uid, gid and the user's groups and then execs (no extra process
 * stays around). Without setpriv the flow runs with uid/gid only: a documented limit.
 */
function findSetpriv(): string | null {
  if (process.platform !== 'linux') return null;
  return ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv'].find((p) => existsSync(p)) ?? null;
}
