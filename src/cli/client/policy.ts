/** `drydock policy add|get|list|activate|del`: the engine's policy bundles, as anchore-cli manages them. */
import type { Command } from 'commander';
import { failure } from '../../client/cli-output.js';
import { policyBundleText, policyListText, policyRecordsText } from '../../client/policy-output.js';
import type { PolicyBundleRecord } from '../../engine/policies.js';
import { clientCommand, clientGroup, readInputFile, runEngineCommand } from './engine-command.js';

/** The engine takes request bodies of up to 32 MiB; a bundle is far smaller. */
const MAX_BUNDLE_BYTES = 32 * 1024 * 1024;

export function policyCommand(): Command {
  return clientGroup('policy', "the engine's policy bundles (anchore-cli)")
    .addCommand(addCommand())
    .addCommand(getCommand())
    .addCommand(listCommand())
    .addCommand(activateCommand())
    .addCommand(deleteCommand());
}

function addCommand(): Command {
  return clientCommand('add', 'add a policy bundle (Anchore JSON), or replace the one with its id')
    .argument('<file>', 'the bundle')
    .action(async (file: string, _options: object, self: Command) => {
      const text = await readInputFile(self, file, MAX_BUNDLE_BYTES, 'the policy bundle');
      let bundle: unknown;
      try {
        bundle = JSON.parse(text);
      } catch (error) {
        self.error(`drydock: the policy bundle ${file} is not JSON: ${(error as Error).message}`, {
          exitCode: 2,
        });
      }
      await runEngineCommand(self, async (run) => {
        const record = run.payloadOf(await run.client.addPolicy(bundle));
        await run.printOutput(record, (r: PolicyBundleRecord) => policyRecordsText([r]));
      });
    });
}

function getCommand(): Command {
  return clientCommand('get', 'show a policy bundle')
    .argument('<policy-id>', "the bundle's id")
    .option('--detail', 'print the bundle itself, as JSON')
    .action((policyId: string, options: { detail?: boolean }, self: Command) =>
      runEngineCommand(self, async (run) => {
        const detail = options.detail === true;
        const records = run.payloadOf(await run.client.getPolicy(policyId, detail));
        await run.printOutput(records, detail ? policyBundleText : policyRecordsText);
      }),
    );
}

function listCommand(): Command {
  return clientCommand('list', 'list the policy bundles, the active one first').action(
    (_options: object, self: Command) =>
      runEngineCommand(self, async (run) => {
        const records = run.payloadOf(await run.client.listPolicies());
        await run.printOutput(records, policyListText);
      }),
  );
}

function activateCommand(): Command {
  return clientCommand('activate', 'make a bundle the one evaluations use')
    .argument('<policy-id>', "the bundle's id")
    .action((policyId: string, _options: object, self: Command) =>
      runEngineCommand(self, async (run) => {
        const records = run.payloadOf(await run.client.getPolicy(policyId, true));
        const [record] = Array.isArray(records) ? (records as PolicyBundleRecord[]) : [];
        if (record === undefined) throw failure('no policy could be fetched to activate');
        const answer = run.payloadOf(
          await run.client.updatePolicy(policyId, { ...record, active: true }),
        );
        await run.printOutput(answer, () => `Success: ${policyId} activated`);
      }),
    );
}

function deleteCommand(): Command {
  return clientCommand('del', 'delete a bundle (not the active one)')
    .argument('<policy-id>', "the bundle's id")
    .action((policyId: string, _options: object, self: Command) =>
      runEngineCommand(self, async (run) => {
        const answer = run.payloadOf(await run.client.deletePolicy(policyId));
        await run.printOutput(answer, () => 'Success');
      }),
    );
}
