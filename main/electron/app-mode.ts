// How the app was started: the tray (default) or the flowhost CLI (`<app> --flowhost-cli <command> …`), which the
// Windows installer's service option and the tray's "Run…" use, so the packaged app needs neither Node nor
// ELECTRON_RUN_AS_NODE for them. No electron import.

/** The argument that turns the app into the `flowhost` CLI; everything after it is the CLI's argv. */
export const CLI_FLAG = '--flowhost-cli';

export type AppMode = { readonly kind: 'tray' } | { readonly kind: 'cli'; readonly args: readonly string[] };

/**
 * The mode of `argv` (process.argv). Only the first argument after the executable (and, unpackaged, after the main
 * script) counts, so a flag further on — Chromium's own switches, a file name — never switches mode.
 */
export function appMode(argv: readonly string[], isPackaged: boolean): AppMode {
  const first = isPackaged ? 1 : 2;
  return argv[first] === CLI_FLAG ? { kind: 'cli', args: argv.slice(first + 1) } : { kind: 'tray' };
}

/** The command that starts this app as the CLI: the executable, its main script when unpackaged, and CLI_FLAG. */
export function selfCliCommand(o: { readonly execPath: string; readonly argv: readonly string[]; readonly isPackaged: boolean }): string[] {
  const script = o.argv[1];
  if (!o.isPackaged && script === undefined) throw new Error('an unpackaged app needs its main script in argv[1]');
  return o.isPackaged ? [o.execPath, CLI_FLAG] : [o.execPath, script as string, CLI_FLAG];
}
