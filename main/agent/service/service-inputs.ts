import { isAbsolute, resolve } from 'node:path';
import { readConfigFile } from '../config/load.js';
import { defaultDataDir } from '../config/data-dir.js';
import { lookupUser } from '../process/session-user.js';
import type { ServicePlatform } from './service-plan.js';
import { DEFAULT_STOP_TIMEOUT_S, type ServiceSpec } from './service-spec.js';

export class ServiceInputError extends Error {
  override readonly name = 'ServiceInputError';
}

export interface ServiceRequest {
  readonly platform: NodeJS.Platform;
  /** How to start flowhost: [node, /abs/bin/flowhost.js] (or the packaged app and its --flowhost-cli flag). */
  readonly command: readonly string[];
  readonly configFile?: string;
  readonly user?: string;
  /** Extra folders flows may write (systemd ReadWritePaths=). */
  readonly readWritePaths?: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homedir: string;
  /** Checks that a user exists (POSIX); injected so other platforms' specs are testable anywhere. */
  readonly userExists?: (user: string) => boolean;
}

export function servicePlatform(platform: NodeJS.Platform): ServicePlatform {
  if (platform === 'linux' || platform === 'darwin' || platform === 'win32') return platform;
  throw new ServiceInputError(`service mode supports Linux (systemd), macOS (launchd) and Windows (WinSW), not ${platform}; run \`flowhost agent\` under your own supervisor`);
}

/**
 * The spec of the service from the command's inputs: the config file is read (and checked) now, so a bad one
 * fails the install rather than every start; its dataDir wins, else the OS's machine-wide data dir.
 */
export function serviceSpecFrom(req: ServiceRequest): ServiceSpec {
  const platform = servicePlatform(req.platform);
  // Paths must be absolute (the service starts elsewhere); a flag (the packaged app's --flowhost-cli) is not a path.
  for (const word of req.command) if (!isAbsolute(word) && !word.startsWith('-')) throw new ServiceInputError(`service command must use absolute paths: ${word}`);
  if (req.command[0] === undefined || !isAbsolute(req.command[0])) throw new ServiceInputError('service command must start with an absolute executable path');
  let configFile: string | undefined;
  let configDataDir: string | undefined;
  if (req.configFile !== undefined) {
    configFile = resolve(req.cwd, req.configFile);
    try {
      configDataDir = readConfigFile(configFile).dataDir;
    } catch (err) {
      throw new ServiceInputError((err as Error).message);
    }
  }
  if (req.user !== undefined) checkUser(req.user, platform, req.userExists ?? ((u) => lookupUser(u) !== undefined));
  const dataDir = configDataDir ?? defaultDataDir({ platform, env: req.env, homedir: req.homedir, isService: true });
  return {
    command: req.command,
    ...(configFile ? { configFile } : {}),
    dataDir,
    ...(req.user !== undefined ? { user: req.user } : {}),
    stopTimeoutS: DEFAULT_STOP_TIMEOUT_S,
    ...(req.readWritePaths?.length ? { readWritePaths: req.readWritePaths.map((p) => resolve(req.cwd, p)) } : {}),
  };
}

const POSIX_USER = /^[a-z_][a-z0-9_.-]{0,31}\$?$/i;

function checkUser(user: string, platform: ServicePlatform, exists: (user: string) => boolean): void {
  if (platform === 'win32') {
    if (!/^[^\u0000-\u001f"/[\]:;|=,+*?<>]{1,104}$/.test(user)) throw new ServiceInputError(`'${user}' is not a valid Windows account name`);
    return;
  }
  if (!POSIX_USER.test(user)) throw new ServiceInputError(`'${user}' is not a valid user name`);
  if (user === 'root') throw new ServiceInputError(`--user root is the default; leave --user out to run as root`);
  if (!exists(user)) throw new ServiceInputError(`no such user '${user}' on this machine (create it first, e.g. useradd --system ${user})`);
}
