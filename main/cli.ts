import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { defaultDataDir } from './agent/config/data-dir.js';
import { agentOptions } from './agent/config/options.js';
import { settingOption } from './commands/agent-options.js';
import { agentCommand } from './commands/agent-command.js';
import { childCommand } from './commands/child-command.js';
import { demoCommand, type StartDemoOrchestrator } from './commands/demo-command.js';
import { runCommand } from './commands/run-command.js';
import { runProgram } from './commands/run-program.js';
import { serviceCommand } from './commands/service-command.js';
import { statusCommand } from './commands/status-command.js';
import { installCrashPolicy } from './commands/crash-policy.js';
import { CommandError, ExitCode } from './commands/exit-codes.js';
import { ADMIN_TOKEN_FILE_ENV, givenAdminToken, givenTls, TLS_CERT_ENV, TLS_KEY_ENV, type OrchestratorFileOptions } from './commands/orchestrator-files.js';

const program = new Command('flowhost')
  .description('Runs desktop-flow sessions on worker machines: the agent, the orchestrator, and local runs.')
  .version('0.1.0');

program.addCommand(agentCommand());
program.addCommand(runCommand());
program.addCommand(statusCommand());
program.addCommand(demoCommand(startDemoOrchestrator));
program.addCommand(serviceCommand());
program.addCommand(orchestratorCommand());
program.addCommand(childCommand());

process.exitCode = await runProgram(program, process.argv);

/** The demo's orchestrator: loaded only when the demo runs; its admin token always in the data dir, never from env. */
async function startDemoOrchestrator(options: Parameters<StartDemoOrchestrator>[0]): ReturnType<StartDemoOrchestrator> {
  const { startOrchestrator, ADMIN_TOKEN_FILE } = await import('../orchestrator/index.js');
  const running = await startOrchestrator({ ...options, env: {}, gateway: { callbackAllowHosts: ['127.0.0.1'] } });
  return {
    url: running.url,
    adminToken: running.adminToken,
    adminTokenFile: running.adminTokenFile ?? `${options.dataDir}/${ADMIN_TOKEN_FILE}`,
    metricsTokenFile: running.metricsTokenFile,
    close: () => running.close(),
  };
}

/** `flowhost orchestrator`: the Web API and the agent gateway on one port, until SIGINT/SIGTERM. */
function orchestratorCommand(): Command {
  const command: Command = new Command('orchestrator')
    .description('Run the orchestrator: Web API (/api/data/v9.2/) and agent gateway (/agent/v1) on one port')
    .addOption(new Option('--host <host>', 'address to listen on').default('127.0.0.1'))
    .addOption(new Option('--port <n>', 'port to listen on (0 = any free port)').default(7780).argParser(portNumber))
    .addOption(new Option('--data-dir <dir>', 'database and admin token (kept 0700, its files 0600)').default(defaultOrchestratorDir(process.platform, process.env, homedir())))
    .addOption(new Option('--admin-token <token>', `admin bearer token; other users see it in the process list: prefer --admin-token-file`))
    .addOption(
      new Option(
        '--admin-token-file <file>',
        `file holding the admin bearer token, '-' = stdin (env: ${ADMIN_TOKEN_FILE_ENV}; else $FLOWHOST_ADMIN_TOKEN, else <data-dir>/admin-token, created 0600)`,
      ),
    )
    .addOption(new Option('--tls-cert <pem>', `serve https and wss with this certificate (chain) file; needs --tls-key (env: ${TLS_CERT_ENV})`))
    .addOption(new Option('--tls-key <pem>', `private key file of --tls-cert (env: ${TLS_KEY_ENV})`))
    .addOption(new Option('--trust-proxy [proxies]', 'count clients by X-Forwarded-For when it comes from these proxies (addresses/CIDRs; bare: loopback)').env('FLOWHOST_TRUST_PROXY'))
    .addOption(
      new Option(
        '--store <location>',
        "where the records live: a postgres:// URL (several orchestrators may share it; password from PGPASSWORD or ~/.pgpass, not the URL, which others see in the process list) or a SQLite file; default <data-dir>/orchestrator.db",
      ).env('FLOWHOST_STORE'),
    )
    .addOption(callbackAllowOption())
    .action(async (opts: { host: string; port: number; dataDir: string; store?: string; trustProxy?: string | boolean; callbackAllow?: string[] } & OrchestratorFileOptions) => {
      // Listen before anything is printed: a signal sent as soon as the ready line appears must not kill us.
      const stopSignal = new Promise<string>((resolve) => ['SIGINT', 'SIGTERM'].forEach((s) => process.once(s, () => resolve(s))));
      const { startOrchestrator, createOrchestratorLogger, AdminTokenError, parseTrustProxy, TrustProxyError, StoreLocationError, storePasswordGiven } = await import('../orchestrator/index.js');
      const logger = createOrchestratorLogger();
      installCrashPolicy({ program: 'orchestrator', logger });
      const warn = (message: string) => logger.warn(message);
      const given = await givenAdminToken(opts, process.env, warn);
      const tls = givenTls(opts, process.env, warn);
      if (opts.store !== undefined && command.getOptionValueSource('store') === 'cli' && storePasswordGiven(opts.store)) {
        warn('--store carries a password: other users see it in the process list; give it in FLOWHOST_STORE, PGPASSWORD or ~/.pgpass');
      }
      const running = await Promise.resolve()
        .then(() =>
          startOrchestrator({
            host: opts.host,
            port: opts.port,
            dataDir: opts.dataDir,
            ...(opts.store === undefined ? {} : { store: opts.store }),
            logger,
            trustProxy: parseTrustProxy(opts.trustProxy),
            gateway: { callbackAllowHosts: opts.callbackAllow ?? [] },
            ...(given ? { adminToken: given.token, adminTokenSource: given.from } : {}),
            ...(tls ? { tls } : {}),
          }),
        )
        .catch((err: unknown) => {
          const usage = err instanceof AdminTokenError || err instanceof TrustProxyError || err instanceof StoreLocationError;
          throw new CommandError(`orchestrator did not start: ${(err as Error).message}`, usage ? ExitCode.Usage : ExitCode.Failure);
        });
      const out = (line: string) => process.stdout.write(`${line}\n`);
      out(`flowhost orchestrator: Web API ${running.url}/api/data/v9.2/  agents ${running.url.replace(/^http/, 'ws')}/agent/v1`);
      if (running.adminTokenGenerated) out(`new admin token (shown once, kept in ${running.adminTokenFile}): ${running.adminToken}`);
      else out(`admin token: ${running.adminTokenFile ? `in ${running.adminTokenFile}` : given ? `from ${given.from}` : 'from $FLOWHOST_ADMIN_TOKEN'}`);
      out(`metrics: ${running.url}/metrics (read-only token in ${running.metricsTokenFile})`);
      out(`store: ${running.storeName}`);
      const signal = await stopSignal;
      out(`${signal}: stopping`);
      await running.close();
    });
  return command;
}

/** The agent's `--callback-allow` (same flag, same FLOWHOST_CALLBACK_ALLOW, same parsing): the orchestrator's re-sends go where its agents' callbacks may. */
function callbackAllowOption(): Option {
  const spec = agentOptions.find((o) => o.key === 'callbackAllow');
  if (!spec) throw new Error('the agent has no callbackAllow setting');
  const option = settingOption(spec).env(spec.env);
  // commander names the env itself once .env() is set.
  option.description = `${spec.description}, comma-separated in the env`;
  return option;
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n > 65_535) throw new InvalidArgumentError(`port must be an integer 0..65535, got '${value}'.`);
  return n;
}

/** The orchestrator keeps its data beside a per-user agent's: `<user data dir>/flowhost/orchestrator`. */
function defaultOrchestratorDir(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): string {
  return join(defaultDataDir({ platform, env, homedir: home, isService: false }), 'orchestrator');
}
