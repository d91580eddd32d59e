import { spawnSync } from 'node:child_process';

/** libxml2's `xmllint` (Debian package libxml2-utils; `.ci/run` installs it): a strict XML well-formedness check. */
export const hasXmllint = spawnSync('xmllint', ['--version'], { stdio: 'ignore' }).status === 0;

/** `xmllint --noout -` on `xml`: ok, or the parser's messages. */
export function xmllintCheck(xml: string): { readonly ok: boolean; readonly errors: string } {
  const r = spawnSync('xmllint', ['--noout', '--nonet', '-'], { input: xml, encoding: 'utf8' });
  return { ok: r.status === 0, errors: r.stderr };
}
