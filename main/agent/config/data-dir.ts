import { join, win32, posix } from 'node:path';

/** What decides the default data dir; injected so every OS is testable on any OS. */
export interface DataDirEnvironment {
  readonly platform: NodeJS.Platform;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homedir: string;
  /** True when running as a service account (root on POSIX, SYSTEM on Windows). */
  readonly isService: boolean;
}

/** Default data dir: machine-wide for a service, per user otherwise. */
export function defaultDataDir(e: DataDirEnvironment): string {
  if (e.platform === 'win32') {
    if (e.isService) return win32.join(e.env['ProgramData'] ?? e.env['PROGRAMDATA'] ?? 'C:\\ProgramData', 'flowhost');
    return win32.join(e.env['APPDATA'] ?? win32.join(e.homedir, 'AppData', 'Roaming'), 'flowhost');
  }
  if (e.platform === 'darwin') {
    return e.isService ? '/Library/Application Support/flowhost' : posix.join(e.homedir, 'Library', 'Application Support', 'flowhost');
  }
  if (e.isService) return '/var/lib/flowhost';
  const xdg = e.env['XDG_DATA_HOME'];
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  if (xdg && posix.isAbsolute(xdg)) return posix.join(xdg, 'flowhost');
  return posix.join(e.homedir, '.local', 'share', 'flowhost');
}

/** Whether this process runs as a service account. */
export function runningAsService(platform: NodeJS.Platform, env: Readonly<Record<string, string | undefined>>, uid: number | undefined): boolean {
  if (platform === 'win32') return (env['USERNAME'] ?? '').toUpperCase() === 'SYSTEM' || (env['USERNAME'] ?? '').endsWith('$');
  return uid === 0;
}

/** Files inside a data dir, in one place. */
export const dataDirFiles = (dataDir: string) => ({
  credentials: join(dataDir, 'credentials.json'),
  store: join(dataDir, 'agent.db'),
  logs: join(dataDir, 'logs'),
  agentLog: join(dataDir, 'logs', 'agent.log'),
});
