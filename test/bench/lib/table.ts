/** One line of the result table. */
export interface BenchRow {
  readonly what: string;
  /** Figure as printed, e.g. "412k lines/s". */
  readonly flowhost: string;
  readonly raw: string;
  /** flowhost ÷ raw (or raw ÷ flowhost for costs), printed as a percentage or factor. */
  readonly ratio: string;
  readonly target: string;
  readonly met: boolean | undefined;
}

export const fmt = (n: number, unit = ''): string => {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  const s = abs >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : abs >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : abs >= 100 ? n.toFixed(0) : abs >= 10 ? n.toFixed(1) : n.toFixed(2);
  return unit ? `${s} ${unit}` : s;
};

export const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

export function printTable(rows: readonly BenchRow[]): string {
  const head = ['what', 'flowhost', 'raw', 'ratio', 'target', 'met?'];
  const cells = rows.map((r) => [r.what, r.flowhost, r.raw, r.ratio, r.target, r.met === undefined ? '—' : r.met ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

/** A difference in percentage points, signed: "+0.79 pt", "-0.10 pt". */
export const points = (x: number): string => `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(2)} pt`;
