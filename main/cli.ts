import { Command } from 'commander';
import { agentCommand } from './commands/agent-command.js';
import { demoCommand, type StartDemoOrchestrator } from './commands/demo-command.js';
import { runCommand } from './commands/run-command.js';
import { runProgram } from './commands/run-program.js';

const program = new Command('flowhost')
  .description('Runs desktop-flow sessions on worker machines: the agent, the orchestrator, and local runs.')
  .version('0.1.0');

program.addCommand(agentCommand());
program.addCommand(runCommand());
program.addCommand(demoCommand(startDemoOrchestrator));

process.exitCode = await runProgram(program, process.argv);

/** The demo's orchestrator: loaded only when the demo runs; its admin token always in the data dir, never from env. */
async function startDemoOrchestrator(options: Parameters<StartDemoOrchestrator>[0]): ReturnType<StartDemoOrchestrator> {
  const { startOrchestrator, ADMIN_TOKEN_FILE } = await import('../orchestrator/index.js');
  const running = await startOrchestrator({ ...options, env: {}, gateway: { callbackAllowHosts: ['127.0.0.1'] } });
  return { url: running.url, adminToken: running.adminToken, adminTokenFile: running.adminTokenFile ?? `${options.dataDir}/${ADMIN_TOKEN_FILE}`, close: () => running.close() };
}
