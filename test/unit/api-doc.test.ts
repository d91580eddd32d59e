import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENTITY_SETS, OPERATIONS, type OperationDef, type Origin } from '../../shared/api-surface.js';

const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');

/** The table rows (cells trimmed) of the section under `heading`, up to the next heading of any level. */
function tableOf(heading: string): string[][] {
  const start = doc.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/api.md has no "${heading}"`);
  const body = doc.slice(start + heading.length + 2);
  const end = body.search(/\n#{1,6} /);
  return (end < 0 ? body : body.slice(0, end))
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2)
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
}

const from = (origin: Origin) => (origin === 'dataverse' ? 'Dataverse' : 'flowhost');
function boundTo(op: OperationDef): string {
  switch (op.binding.to) {
    case 'record':
      return `a \`${op.binding.set}\` record`;
    case 'collection':
      return 'any set';
    case 'unbound':
      return 'unbound';
  }
}

describe('docs/api.md names exactly what shared/api-surface.ts lists', () => {
  it('"What the API serves": every entity set and operation, bound and marked as the table has them', () => {
    expect(tableOf('## What the API serves')).toEqual([
      ...ENTITY_SETS.map((s) => [`\`${s.entity.set}\``, 'entity set', '', from(s.origin)]),
      ...OPERATIONS.map((op) => [`\`${op.name}\``, op.kind.toLowerCase(), boundTo(op), from(op.origin)]),
    ]);
  });

  it('"Entity sets": one row per set of the table', () => {
    expect(tableOf('## Entity sets').map((row) => row[0])).toEqual(ENTITY_SETS.map((s) => `\`${s.entity.set}\``));
  });
});
