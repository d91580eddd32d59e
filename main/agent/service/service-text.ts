/** Escapes text for an XML element's content. */
export function xmlText(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c);
}

/** Escapes text for an XML element or a double-quoted attribute. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** Control characters cannot be written into a unit, a plist or WinSW XML safely; refuse them early. */
export function assertPrintable(what: string, value: string): void {
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new Error(`${what} contains a control character: ${JSON.stringify(value)}`);
}

/**
 * One argv word for a systemd ExecStart=: double-quoted when it holds whitespace or quotes, with `\`, `"`
 * escaped, and `%` doubled (specifier) and `$` doubled (variable expansion) so the word reaches the program as is.
 */
export function systemdWord(word: string): string {
  assertPrintable('command word', word);
  const escaped = word.replaceAll('%', '%%').replaceAll('$', '$$$$');
  if (escaped !== '' && !/[\s"'\\;]/.test(escaped)) return escaped;
  return `"${escaped.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** A value of a systemd Environment= assignment, quoted as one word. */
export function systemdEnvironment(name: string, value: string): string {
  assertPrintable(name, value);
  return `"${`${name}=${value.replaceAll('%', '%%')}`.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * One argument of a Windows command line, quoted by the rules CommandLineToArgvW and the C runtime parse:
 * backslashes before a quote are doubled, quotes escaped, the word quoted when it holds space or tab.
 */
export function windowsArg(arg: string): string {
  assertPrintable('command word', arg);
  if (arg !== '' && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let slashes = 0;
  for (const c of arg) {
    if (c === '\\') {
      slashes += 1;
      continue;
    }
    out += c === '"' ? '\\'.repeat(slashes * 2 + 1) + '"' : '\\'.repeat(slashes) + c;
    slashes = 0;
  }
  return `${out}${'\\'.repeat(slashes * 2)}"`;
}
