import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

/** The variables a program needs to show windows in a user's graphical session. */
export type GraphicalEnv = Readonly<Record<string, string>>;

/** What is taken from the agent's (or tray app's) own environment when it runs inside the user's session. */
const SESSION_VARIABLES = ['DISPLAY', 'XAUTHORITY', 'WAYLAND_DISPLAY', 'XDG_RUNTIME_DIR', 'XDG_SESSION_TYPE', 'DBUS_SESSION_BUS_ADDRESS'] as const;

export interface GraphicalSessionSource {
  /** The agent's environment (the tray app's, inside the desktop session). */
  readonly env: NodeJS.ProcessEnv;
  /** The user the agent runs as. */
  readonly agentUser: string;
  /** systemd's loginctl; null = do not ask logind. Default: /usr/bin/loginctl or /bin/loginctl when present. */
  readonly loginctl?: string | null;
}

/**
 * The graphical session `user` is signed in to, as the variables a flow needs; undefined when there is none. First the
 * agent's own environment, when the agent runs as that user inside a desktop session (the tray app); else logind: an
 * active, local session of the user whose type is x11 or wayland.
 */
export function findGraphicalSession(user: string, source: GraphicalSessionSource): GraphicalEnv | undefined {
  if (user === source.agentUser && (nonEmpty(source.env['DISPLAY']) || nonEmpty(source.env['WAYLAND_DISPLAY']))) {
    const env: Record<string, string> = {};
    for (const name of SESSION_VARIABLES) if (nonEmpty(source.env[name])) env[name] = source.env[name] as string;
    return env;
  }
  const loginctl = source.loginctl === undefined ? findLoginctl() : source.loginctl;
  if (!loginctl) return undefined;
  const list = run(loginctl, ['list-sessions', '--no-legend', '--no-pager']);
  for (const id of sessionsOf(list ?? '', user)) {
    const props = parseProperties(run(loginctl, ['show-session', id, '--no-pager', '-p', 'Type', '-p', 'Display', '-p', 'Active', '-p', 'Remote', '-p', 'State', '-p', 'User']) ?? '');
    const env = graphicalEnvOf(props, (dir) => listDir(dir));
    if (env) return env;
  }
  return undefined;
}

/** Session ids of `user` in `loginctl list-sessions --no-legend` (columns: SESSION UID USER SEAT TTY …). */
export function sessionsOf(listing: string, user: string): string[] {
  const ids: string[] = [];
  for (const line of listing.split('\n')) {
    const [id, uid, name] = line.trim().split(/\s+/);
    if (id && uid && name === user && /^[A-Za-z0-9_-]{1,64}$/.test(id) && /^\d+$/.test(uid)) ids.push(id);
  }
  return ids;
}

/** `Key=value` lines of `loginctl show-session`. */
export function parseProperties(text: string): ReadonlyMap<string, string> {
  const props = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) props.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return props;
}

/**
 * The variables of one logind session when it is an active, local, graphical one: X11 gives DISPLAY; Wayland gives
 * WAYLAND_DISPLAY (the compositor's socket in the user's runtime dir) and DISPLAY when Xwayland serves one.
 */
export function graphicalEnvOf(props: ReadonlyMap<string, string>, list: (dir: string) => readonly string[]): GraphicalEnv | undefined {
  const type = props.get('Type');
  if ((type !== 'x11' && type !== 'wayland') || props.get('Active') !== 'yes' || props.get('Remote') === 'yes') return undefined;
  const uid = props.get('User') ?? '';
  const runtime = /^\d+$/.test(uid) ? `/run/user/${uid}` : undefined;
  const display = props.get('Display') ?? '';
  const env: Record<string, string> = { XDG_SESSION_TYPE: type };
  if (/^:\d+(\.\d+)?$/.test(display)) env['DISPLAY'] = display;
  if (runtime) env['XDG_RUNTIME_DIR'] = runtime;
  if (type === 'wayland' && runtime) {
    const socket = list(runtime).find((name) => /^wayland-\d+$/.test(name));
    if (socket) env['WAYLAND_DISPLAY'] = socket;
  }
  return env['DISPLAY'] !== undefined || env['WAYLAND_DISPLAY'] !== undefined ? env : undefined;
}

function findLoginctl(): string | null {
  if (process.platform !== 'linux') return null;
  return ['/usr/bin/loginctl', '/bin/loginctl'].find((path) => existsSync(path)) ?? null;
}

function run(file: string, args: string[]): string | undefined {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000, env: { PATH: '/usr/bin:/bin', LANG: 'C' }, maxBuffer: 1024 * 1024 });
  } catch {
    return undefined; // no logind (a container), or it did not answer
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

const nonEmpty = (v: string | undefined): boolean => v !== undefined && v !== '';
