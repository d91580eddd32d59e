/**
 * Tests that need an OS tool or root run where it exists. Under `CI=true` (where `.ci/run` installs every tool) a
 * missing requirement is an error, never a silent skip; elsewhere the skip is printed with its reason.
 */
export function skipUnless(available: boolean, requirement: string): boolean {
  if (available) return false;
  if (process.env['CI'] === 'true') throw new Error(`required under CI=true: ${requirement}`);
  process.stderr.write(`skipped (not available here): ${requirement}\n`);
  return true;
}

/** Root, and the `nobody` account flows are run as in the run-as tests. */
export const isRoot = process.getuid?.() === 0;
