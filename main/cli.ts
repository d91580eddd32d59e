import { Command } from 'commander';

const program = new Command('flowhost')
  .description('Runs desktop-flow sessions on worker machines: the agent, the orchestrator, and local runs.')
  .version('0.1.0');

await program.parseAsync(process.argv);
