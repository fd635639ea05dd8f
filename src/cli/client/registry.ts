/**
 * `drydock registry add|update|get|list|del`: registry credentials kept by the engine, as
 * anchore-cli manages them. The password is sent once and never printed; the engine shows `****`.
 */
import type { Command } from 'commander';
import { failure } from '../../client/cli-output.js';
import { registryListText, registryRecordsText } from '../../client/registry-output.js';
import {
  clientCommand,
  clientGroup,
  runEngineCommand,
  type ConnectionOptions,
} from './engine-command.js';

const REGISTRY_TYPES = ['docker_v2', 'awsecr'];
const REGISTRY_HELP = 'host[:port] of the registry, e.g. registry.example.com:5000';
const AWS_ECR = /^[0-9]+\.dkr\.ecr\..*\.amazonaws\.com/;

export function registryCommand(): Command {
  return clientGroup('registry', 'registry credentials the engine pulls with (anchore-cli)')
    .addCommand(credentialsCommand('add'))
    .addCommand(credentialsCommand('update'))
    .addCommand(getCommand())
    .addCommand(listCommand())
    .addCommand(deleteCommand());
}

interface CredentialOptions {
  insecure?: boolean;
  registryType?: string;
  skipValidate?: boolean;
  registryName?: string;
}

/**
 * `add` and `update`: their `--insecure` is the registry's (registry_verify false); the engine
 * connection's `--insecure` goes before the subcommand: `drydock registry --insecure add …`.
 */
function credentialsCommand(name: 'add' | 'update'): Command {
  const description =
    name === 'add'
      ? 'add credentials for a registry; the engine logs in to check them unless --skip-validate'
      : 'replace the credentials of a registry';
  return clientCommand(name, description, false)
    .argument('<registry>', REGISTRY_HELP)
    .argument('<user>', 'user name')
    .argument('<password>', 'password (never printed)')
    .option('--insecure', 'accept any TLS certificate from the registry')
    .option('--registry-type <type>', `${REGISTRY_TYPES.join(' or ')} (default: docker_v2)`)
    .option('--skip-validate', 'store the credentials without logging in to the registry')
    .option('--registry-name <name>', 'a name for the registry (default: the registry)')
    .action(
      (
        registry: string,
        user: string,
        password: string,
        options: CredentialOptions,
        self: Command,
      ) =>
        runEngineCommand(
          self,
          async (run) => {
            const body = {
              registry,
              registry_user: user,
              registry_pass: password,
              registry_type: registryType(name, registry, options.registryType),
              registry_verify: options.insecure !== true,
              registry_name: options.registryName || registry,
            };
            const validate = options.skipValidate !== true;
            const records = run.payloadOf(
              name === 'add'
                ? await run.client.addRegistry(body, validate)
                : await run.client.updateRegistry(registry, body, validate),
            );
            await run.printOutput(records, registryRecordsText);
          },
          connectionOptions(self),
        ),
    );
}

/** The connection options, but `--insecure` from the group only. */
function connectionOptions(self: Command): ConnectionOptions {
  const options = self.optsWithGlobals<ConnectionOptions>();
  const insecure = self.parent?.opts<ConnectionOptions>().insecure;
  return { ...options, ...(insecure === undefined ? { insecure: false } : { insecure }) };
}

/** `add` checks the type and guesses ECR from the host name, as anchore-cli does. */
function registryType(name: 'add' | 'update', registry: string, type: string | undefined): string {
  if (name === 'update') return type ?? 'docker_v2';
  if (type && !REGISTRY_TYPES.includes(type))
    throw failure(
      `input registry type not supported (supported registry_types: ['docker_v2', 'awsecr']`,
    );
  if (type) return type;
  if (!AWS_ECR.test(registry)) return 'docker_v2';
  process.stderr.write(
    "WARN: setting registry type to 'awsecr' based on form of input registry name, remove and re-add using '--registry-type docker_v2' to override\n",
  );
  return 'awsecr';
}

function getCommand(): Command {
  return clientCommand('get', "show a registry's credentials (not the password)")
    .argument('<registry>', REGISTRY_HELP)
    .action((registry: string, _options: object, self: Command) =>
      runEngineCommand(self, async (run) => {
        const records = run.payloadOf(await run.client.getRegistries(registry));
        await run.printOutput(records, registryRecordsText);
      }),
    );
}

function listCommand(): Command {
  return clientCommand('list', 'list the registries the engine has credentials for').action(
    (_options: object, self: Command) =>
      runEngineCommand(self, async (run) => {
        const records = run.payloadOf(await run.client.getRegistries());
        await run.printOutput(records, registryListText);
      }),
  );
}

function deleteCommand(): Command {
  return clientCommand('del', "delete a registry's credentials")
    .argument('<registry>', REGISTRY_HELP)
    .action((registry: string, _options: object, self: Command) =>
      runEngineCommand(self, async (run) => {
        const answer = run.payloadOf(await run.client.deleteRegistry(registry));
        await run.printOutput(answer, () => 'Success');
      }),
    );
}
