/**
 * The layering of DESIGN.md, checked in `npm test` (npm run lint:deps):
 *   shared ← node-shared ← main/agent ← main/electron, main/cli.ts;  shared ← node-shared ← orchestrator;  shared ← renderer.
 * Inside main/agent: store/, process/, config/ ← the concern folders ← the files of main/agent/ itself (the wiring).
 * node-shared/ is the Node code both programs need (VS Code's base/node beside base/common = shared/).
 * main/cli.ts is the one file of main/ that may import orchestrator/.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'shared-is-pure',
      comment: 'shared/ runs in every layer: no node builtins, no electron, no other layer.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { pathNot: ['^shared/', '(^|/)node_modules/(@sinclair/typebox|ajv|ajv-formats|ipaddr\\.js|croner|fast-uri|fast-deep-equal|json-schema-traverse|require-from-string)/'] },
    },
    {
      name: 'shared-no-builtins',
      severity: 'error',
      from: { path: '^shared/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'node-shared-imports-shared-only',
      comment: 'node-shared/ serves both Node programs: it may import shared/, node builtins and packages, never a program (main/, orchestrator/) or renderer/.',
      severity: 'error',
      from: { path: '^node-shared/' },
      to: { path: '^(main|orchestrator|renderer)/' },
    },
    {
      name: 'electron-only-in-main-electron',
      comment: 'main/electron/ is the only folder that imports electron.',
      severity: 'error',
      from: { pathNot: '^main/electron/' },
      to: { path: '(^|/)node_modules/electron/|^electron$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'electron-module-only-in-main-electron',
      severity: 'error',
      from: { pathNot: '^main/electron/' },
      to: { dependencyTypes: ['core'], path: '^electron$' },
    },
    {
      name: 'agent-imports-shared-only',
      comment: 'main/agent/ is pure Node: it may import shared/ and packages, never main/electron, orchestrator or renderer.',
      severity: 'error',
      from: { path: '^main/agent/' },
      to: { path: '^(main/electron|main/cli|orchestrator|renderer)/?' },
    },
    {
      name: 'agent-folders-import-only-the-base',
      comment:
        "A concern folder of main/agent/ (upstream/, scheduling/, runner/, callback/, status/ …) imports, of the agent, its own files and the base folders store/, process/ and config/, never another concern: the files of main/agent/ itself wire them.",
      severity: 'error',
      from: { path: '^main/agent/([^/]+)/' },
      to: { path: '^main/agent/[^/]+/', pathNot: '^main/agent/($1|store|process|config)/' },
    },
    {
      name: 'agent-base-folders-are-leaves',
      comment: 'store/, process/ and config/ of main/agent/ are what the concern folders build on: they import no other part of the agent.',
      severity: 'error',
      from: { path: '^main/agent/(store|process|config)/' },
      to: { path: '^main/agent/', pathNot: '^main/agent/$1/' },
    },
    {
      name: 'agent-folders-not-the-wiring',
      comment: 'No folder of main/agent/ imports the wiring (agent.ts, orchestrator-frames.ts, agent-from-config.ts): the wiring imports them.',
      severity: 'error',
      from: { path: '^main/agent/[^/]+/' },
      to: { path: '^main/agent/(agent|orchestrator-frames|agent-from-config)\\.ts$' },
    },
    {
      name: 'orchestrator-imports-shared-only',
      severity: 'error',
      from: { path: '^orchestrator/' },
      to: { path: '^(main|renderer)/' },
    },
    {
      name: 'sqlite-only-in-orchestrator-store',
      comment: 'The orchestrator reaches its database through orchestrator/store/ only (a second engine implements the same interface).',
      severity: 'error',
      from: { path: '^orchestrator/', pathNot: '^orchestrator/store/' },
      to: { path: '(^|/)node_modules/better-sqlite3/' },
    },
    {
      name: 'pg-only-in-orchestrator-store',
      comment: 'PostgreSQL (pg) is reached through orchestrator/store/ only, like SQLite; test/support/ (not cruised) starts a private server.',
      severity: 'error',
      from: { pathNot: '^orchestrator/store/' },
      to: { path: '(^|/)node_modules/(@types/)?(pg|pg-pool|pg-cursor|pg-protocol)/' },
    },
    {
      name: 'renderer-imports-shared-only',
      comment: 'The renderer runs in a sandboxed page without Node: shared/ only (not node-shared/, not a program).',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: '^(main|orchestrator|node-shared)/' },
    },
    {
      name: 'renderer-no-node',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'only-cli-starts-orchestrator',
      comment: 'main/cli.ts is the one file of main/ that may import orchestrator/.',
      severity: 'error',
      from: { path: '^main/', pathNot: '^main/cli\\.ts$' },
      to: { path: '^orchestrator/' },
    },
    {
      name: 'electron-layer-not-from-agent-or-cli',
      severity: 'error',
      from: { path: '^main/', pathNot: '^main/electron/' },
      to: { path: '^main/electron/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
  },
};
