/** drydock's command line. Each command group lives in its own file and registers here. */
import { Command } from 'commander';
import { ciCommand } from './ci.js';
import {
  eventCommand,
  imageCommand,
  policyCommand,
  registryCommand,
  subscriptionCommand,
  systemCommand,
  withEngineCheck,
} from './client/commands.js';
import { version } from './common-options.js';
import { contentCommand } from './content.js';
import { dbCommand } from './db.js';
import { serveCommand, workerCommand } from './engine-commands.js';
import { evaluateCommand } from './evaluate.js';
import { filesCommand } from './files.js';
import { inspectCommand } from './inspect.js';
import { handleStdoutErrors, runCli } from './run.js';
import { sbomCommand } from './sbom.js';
import { scanCommand } from './scan.js';

const program = new Command('drydock')
  .description('Inspect container images and gate them on policy')
  .version(version())
  // Options after a subcommand are its own: `drydock evaluate check --tag` is not evaluate's --tag.
  .enablePositionalOptions()
  .addCommand(inspectCommand())
  .addCommand(filesCommand())
  .addCommand(sbomCommand())
  .addCommand(scanCommand())
  .addCommand(withEngineCheck(evaluateCommand()))
  .addCommand(contentCommand())
  .addCommand(dbCommand())
  .addCommand(ciCommand())
  .addCommand(serveCommand())
  .addCommand(workerCommand())
  .addCommand(imageCommand())
  .addCommand(registryCommand())
  .addCommand(policyCommand())
  .addCommand(subscriptionCommand())
  .addCommand(systemCommand())
  .addCommand(eventCommand());

handleStdoutErrors();
process.exitCode = await runCli(program, process.argv);
