import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { applyPlan } from '../agent/service/service-apply.js';
import { ServiceInputError, servicePlatform, serviceSpecFrom } from '../agent/service/service-inputs.js';
import { describePlan, servicePlan, type ServiceAction, type ServicePlatform } from '../agent/service/service-plan.js';
import { rootTradeOff } from '../agent/service/service-spec.js';
import { CommandError, ExitCode } from './exit-codes.js';

interface ServiceFlags {
  readonly user?: string;
  readonly config?: string;
  readonly dryRun?: boolean;
  readonly platform?: string;
  readonly winsw?: string;
  readonly readWrite?: string[];
}

export interface ServiceCommandOptions {
  /** How the service starts flowhost (absolute paths, then flags); default this Node with bin/flowhost.js. The packaged app passes itself. */
  readonly flowhost?: readonly string[];
}

/** `flowhost service install|uninstall|status`: a systemd unit, a launchd daemon or a WinSW service running `flowhost agent`. */
export function serviceCommand(options: ServiceCommandOptions = {}): Command {
  const service = new Command('service').description('Install, remove or show the agent as a system service (systemd, launchd, WinSW) running `flowhost agent`.');
  service.addHelpText('after', `\n${rootTradeOff()}\nInstall and uninstall need root (Administrator on Windows); --dry-run prints what would be written and run.`);
  for (const action of ['install', 'uninstall', 'status'] as const) service.addCommand(actionCommand(action, options.flowhost ?? [process.execPath, flowhostBin()]));
  return service;
}

function actionCommand(action: ServiceAction, flowhost: readonly string[]): Command {
  const summary = {
    install: 'write the service definition and load it (enabled, started, restarted on failure)',
    uninstall: 'stop and unload the service and remove its definition (the data dir is kept)',
    status: 'show what the service manager says about the service',
  }[action];
  const command = new Command(action).description(summary);
  if (action === 'install') {
    command
      .option('--user <user>', 'run the agent as this account instead of root (see the trade-off in `flowhost service --help`)')
      .option('--config <file>', 'agent config file the service starts with (checked now; its dataDir is used)')
      .option('--read-write <dir>', 'Linux: a folder flows may write besides the data dir and a private /tmp (repeatable)', (v: string, prev: string[] = []) => [...prev, v]);
  }
  command.option('--winsw <exe>', 'Windows: the WinSW v3 executable (default: flowhost-service.exe beside the XML)');
  if (action !== 'status') command.option('--dry-run', 'print the files and commands, change nothing');
  command.addOption(new Option('--platform <os>', 'with --dry-run: show the plan for another OS').choices(['linux', 'darwin', 'win32']));
  return command.action(async (flags: ServiceFlags) => {
    process.exitCode = await runService(action, flags, flowhost);
  });
}

/** The absolute path of bin/flowhost.js in this checkout; the service runs it with this Node. */
const flowhostBin = () => fileURLToPath(new URL('../../bin/flowhost.js', import.meta.url));

async function runService(action: ServiceAction, flags: ServiceFlags, flowhost: readonly string[]): Promise<number> {
  if (flags.platform !== undefined && !flags.dryRun) throw new CommandError('--platform only goes with --dry-run', ExitCode.Usage);
  const platform = inputs(() => servicePlatform((flags.platform as NodeJS.Platform | undefined) ?? process.platform));
  const foreign = platform !== process.platform;
  const spec = inputs(() =>
    serviceSpecFrom({
      platform,
      command: flowhost,
      ...(flags.config !== undefined ? { configFile: flags.config } : {}),
      ...(flags.user !== undefined ? { user: flags.user } : {}),
      ...(flags.readWrite ? { readWritePaths: flags.readWrite } : {}),
      cwd: process.cwd(),
      env: foreign ? {} : process.env,
      homedir: homedir(),
      // A plan for another OS cannot look its users up here.
      ...(foreign ? { userExists: () => true } : {}),
    }),
  );
  const plan = servicePlan(action, { platform, spec, ...(flags.winsw !== undefined ? { winswExe: flags.winsw } : {}) });
  if (flags.dryRun) {
    process.stdout.write(describePlan(plan));
    return ExitCode.Ok;
  }
  if (action !== 'status') requireAdmin(platform);
  const result = await applyPlan(plan, { log: (line) => process.stderr.write(`${line}\n`) });
  if (action === 'status') {
    for (const r of result.results) process.stdout.write(r.stdout + r.stderr);
    const last = result.results.at(-1);
    if (last?.code === 0) return ExitCode.Ok;
    process.stderr.write(`the ${platformManager(platform)} service is not running${last?.error ? ` (${last.error})` : ''}\n`);
    return ExitCode.Failure;
  }
  if (!result.ok) throw new CommandError(`service ${action} did not finish; see the lines above`);
  process.stderr.write(`service ${action}ed (${platformManager(platform)})\n`);
  return ExitCode.Ok;
}

function inputs<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ServiceInputError) throw new CommandError(err.message, ExitCode.Usage);
    throw err;
  }
}

function requireAdmin(platform: ServicePlatform): void {
  if (platform === 'win32') return; // WinSW itself reports a missing elevation clearly.
  if (process.getuid?.() !== 0) throw new CommandError('installing or removing a system service needs root: run it with sudo (or use --dry-run to see what it would do)');
}

const platformManager = (p: ServicePlatform) => ({ linux: 'systemd', darwin: 'launchd', win32: 'WinSW' })[p];
