import type { FlowDefinition } from '../../shared/flow-definition.js';

export const DEMO_WORKFLOW_NAME = 'flowhost demo: count primes';
export const DEMO_GROUP_NAME = 'demo';
export const DEMO_MACHINE_NAME = 'demo-machine';

/** A `node` flow: logs a few lines, burns a little CPU, writes outputs. Inputs arrive as a file, never on a command line. */
export const demoFlow: FlowDefinition = {
  schemaversion: 1,
  kind: 'node',
  script: [
    "import { readFileSync, writeFileSync } from 'node:fs';",
    "const inputs = JSON.parse(readFileSync(process.env.FLOWHOST_INPUTS, 'utf8'));",
    'console.log(`hello ${inputs.greeting}, counting primes below ${inputs.limit}`);',
    "console.log(`the API token input is ${inputs.token} (masked in every log)`);",
    'let count = 0;',
    'for (let n = 2; n < inputs.limit; n += 1) {',
    '  let prime = true;',
    '  for (let d = 2; d * d <= n; d += 1) if (n % d === 0) { prime = false; break; }',
    '  if (prime) count += 1;',
    '  if (n % 1000000 === 0) console.log(`  ... ${n} checked, ${count} primes so far`);',
    '}',
    "console.error('done (this line went to stderr)');",
    'writeFileSync(process.env.FLOWHOST_OUTPUTS, JSON.stringify({ primes: count, limit: inputs.limit }));',
  ].join('\n'),
};

export const demoInputSchema = {
  type: 'object',
  properties: {
    greeting: { type: 'string' },
    limit: { type: 'integer', minimum: 10, maximum: 50_000_000 },
    token: { type: 'string', 'x-secret': true },
  },
  required: ['greeting', 'limit'],
  additionalProperties: false,
};

export const demoOutputSchema = {
  type: 'object',
  properties: { primes: { type: 'integer' }, limit: { type: 'integer' } },
  required: ['primes'],
};

export const demoInputs = { greeting: 'newcomer', limit: 5_000_000, token: 'demo-secret-token-123' };
