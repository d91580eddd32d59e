/**
 * Tests that need an OS tool, root or one platform run where they can. Under `CI=true` a requirement missing on a
 * platform whose CI provides it (`.ci/run` and the workflow's Linux job install every tool) is an error, never a
 * silent skip; elsewhere the skip is printed with its reason. A test that can only run on some platforms (Linux's
 * /proc, setpriv and systemd, POSIX signals and `sh`) says so, and skips on the others even under CI=true: the
 * workflow runs the suite on Windows and macOS runners too.
 */
export type Platform = NodeJS.Platform;

export const LINUX: readonly Platform[] = ['linux'];
export const MACOS: readonly Platform[] = ['darwin'];
export const WINDOWS: readonly Platform[] = ['win32'];
/** Process groups, POSIX signals, `sh`, uid/gid and file modes. */
export const POSIX: readonly Platform[] = ['linux', 'darwin'];

export interface Requirement {
  /** What the test needs, printed when it skips. */
  readonly what: string;
  /** Where the test can run at all; on any other platform it skips, CI or not. Default: every platform. */
  readonly platforms?: readonly Platform[];
  /** Where CI=true must meet it (within `platforms`). Default: Linux, whose CI installs every tool. */
  readonly requiredOn?: readonly Platform[];
}

export type RequirementOutcome = { readonly run: true } | { readonly run: false; readonly skip: string } | { readonly run: false; readonly fail: string };

/** The decision of `skipUnless`, pure: whether a test runs here, skips (and why) or fails CI. */
export function requirementOutcome(available: boolean, requirement: string | Requirement, here: { readonly platform: Platform; readonly ci: boolean }): RequirementOutcome {
  const r: Requirement = typeof requirement === 'string' ? { what: requirement } : requirement;
  if (r.platforms && !r.platforms.includes(here.platform)) return { run: false, skip: `skipped on ${here.platform} (runs on ${r.platforms.join(', ')}): ${r.what}` };
  if (available) return { run: true };
  const requiredOn = (r.requiredOn ?? LINUX).filter((p) => !r.platforms || r.platforms.includes(p));
  if (here.ci && requiredOn.includes(here.platform)) return { run: false, fail: `required under CI=true on ${here.platform}: ${r.what}` };
  return { run: false, skip: `skipped (not available here): ${r.what}` };
}

/** True when the test must skip (the reason printed); throws when CI=true must have what is missing. */
export function skipUnless(available: boolean, requirement: string | Requirement): boolean {
  const outcome = requirementOutcome(available, requirement, { platform: process.platform, ci: process.env['CI'] === 'true' });
  if (outcome.run) return false;
  if ('fail' in outcome) throw new Error(outcome.fail);
  process.stderr.write(`${outcome.skip}\n`);
  return true;
}

/** True (the skip printed) on a platform the test cannot run on: `it.skipIf(skipUnlessOn(LINUX, '/proc process states'))`. */
export function skipUnlessOn(platforms: readonly Platform[], what: string): boolean {
  return skipUnless(true, { what, platforms });
}

/** Root, and the `nobody` account flows are run as in the run-as tests. */
export const isRoot = process.getuid?.() === 0;
