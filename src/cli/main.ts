/** drydock's command line. Each command group lives in its own file and registers here. */
import { Command } from 'commander';

const program = new Command('drydock').description(
  'Inspect container images and gate them on policy',
);
await program.parseAsync(process.argv);
