import { Command } from 'commander';
import { agentCommand } from './commands/agent-command.js';
import { demoCommand } from './commands/demo-command.js';
import { runCommand } from './commands/run-command.js';
import { runProgram } from './commands/run-program.js';

const program = new Command('flowhost')
  .description('Runs desktop-flow sessions on worker machines: the agent, the orchestrator, and local runs.')
  .version('0.1.0');

program.addCommand(agentCommand());
program.addCommand(runCommand());
// TODO(product): pass the orchestrator's start function once orchestrator/index.ts exports startOrchestrator.
program.addCommand(demoCommand(undefined));

process.exitCode = await runProgram(program, process.argv);
