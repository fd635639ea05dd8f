/**
 * drydock's command line. Each command group lives in its own file and registers here. Only the
 * command being run is loaded (all of them for help and unknown names): start-up is part of every
 * CI step and of a warm-cache inventory, and most of it is loading modules.
 */
import { Command } from 'commander';
import { version } from './common-options.js';
import { handleStdoutErrors, runCli } from './run.js';

/** Every command, in help order, by the name it is invoked by. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  inspect: async () => (await import('./inspect.js')).inspectCommand(),
  files: async () => (await import('./files.js')).filesCommand(),
  sbom: async () => (await import('./sbom.js')).sbomCommand(),
  scan: async () => (await import('./scan.js')).scanCommand(),
  evaluate: async () => {
    const [{ evaluateCommand }, { withEngineCheck }] = await Promise.all([
      import('./evaluate.js'),
      import('./client/evaluate-check.js'),
    ]);
    return withEngineCheck(evaluateCommand());
  },
  content: async () => (await import('./content.js')).contentCommand(),
  db: async () => (await import('./db.js')).dbCommand(),
  ci: async () => (await import('./ci.js')).ciCommand(),
  serve: async () => (await import('./engine-commands.js')).serveCommand(),
  worker: async () => (await import('./engine-commands.js')).workerCommand(),
  image: async () => (await import('./client/image.js')).imageCommand(),
  registry: async () => (await import('./client/registry.js')).registryCommand(),
  policy: async () => (await import('./client/policy.js')).policyCommand(),
  subscription: async () => (await import('./client/subscription.js')).subscriptionCommand(),
  system: async () => (await import('./client/system.js')).systemCommand(),
  event: async () => (await import('./client/event.js')).eventCommand(),
};

/** The root takes no options but help and version, so the first word is the command. */
const invoked = process.argv.slice(2).find((arg) => !arg.startsWith('-')) ?? '';
const chosen = Object.hasOwn(COMMANDS, invoked) ? COMMANDS[invoked] : undefined;
const load = chosen === undefined ? Object.values(COMMANDS) : [chosen];

const program = new Command('drydock')
  .description('Inspect container images and gate them on policy')
  .version(version())
  // Options after a subcommand are its own: `drydock evaluate check --tag` is not evaluate's --tag.
  .enablePositionalOptions();
for (const command of await Promise.all(load.map((make) => make()))) program.addCommand(command);

handleStdoutErrors();
process.exitCode = await runCli(program, process.argv);
