import { Type, type Static } from '@sinclair/typebox';

/** What `workflow.clientdata` holds: the definition of what a session runs. */
const Env = Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 256 }), Type.String({ maxLength: 32_768 }));

export const CommandFlow = Type.Object(
  {
    schemaversion: Type.Literal(1),
    kind: Type.Literal('command'),
    argv: Type.Array(Type.String({ maxLength: 32_768 }), { minItems: 1, maxItems: 1000 }),
    cwd: Type.Optional(Type.String({ maxLength: 4096 })),
    env: Type.Optional(Env),
  },
  { additionalProperties: false },
);

export const ShellFlow = Type.Object(
  {
    schemaversion: Type.Literal(1),
    kind: Type.Literal('shell'),
    shell: Type.Union([Type.Literal('bash'), Type.Literal('sh'), Type.Literal('pwsh'), Type.Literal('cmd')]),
    script: Type.String({ maxLength: 1_000_000 }),
    cwd: Type.Optional(Type.String({ maxLength: 4096 })),
    env: Type.Optional(Env),
  },
  { additionalProperties: false },
);

export const NodeFlow = Type.Object(
  {
    schemaversion: Type.Literal(1),
    kind: Type.Literal('node'),
    script: Type.String({ maxLength: 1_000_000 }),
    cwd: Type.Optional(Type.String({ maxLength: 4096 })),
    env: Type.Optional(Env),
  },
  { additionalProperties: false },
);

export const FlowDefinition = Type.Union([CommandFlow, ShellFlow, NodeFlow]);
export type FlowDefinition = Static<typeof FlowDefinition>;
