/**
 * `drydock subscription list|activate|deactivate|del`: what the engine watches for an account,
 * as anchore-cli manages it (a subscription is found by its type and tag, then changed by id).
 */
import type { Command } from 'commander';
import { failure } from '../../client/cli-output.js';
import { subscriptionListText } from '../../client/subscription-output.js';
import type { Subscription } from '../../engine/subscriptions.js';
import { pythonTruthy } from '../../report/python-text.js';
import { clientCommand, clientGroup, runEngineCommand, type EngineRun } from './engine-command.js';

const TYPE_HELP =
  'tag_update (analyse new digests of the tag), policy_eval (verdict changes), vuln_update (findings change), analysis_update';
const KEY_HELP = 'the full tag, e.g. registry.example.com/team/app:latest';

export function subscriptionCommand(): Command {
  return clientGroup('subscription', 'what the engine watches for you (anchore-cli)')
    .addCommand(listCommand())
    .addCommand(switchCommand('activate'))
    .addCommand(switchCommand('deactivate'))
    .addCommand(deleteCommand());
}

function listCommand(): Command {
  return clientCommand('list', 'list the subscriptions')
    .option('--full', 'show their ids too')
    .action((options: { full?: boolean }, self: Command) =>
      runEngineCommand(self, async (run) => {
        const subscriptions = run.payloadOf(await run.client.listSubscriptions());
        await run.printOutput(subscriptions, (list: Subscription[]) =>
          subscriptionListText(list, options.full === true),
        );
      }),
    );
}

function switchCommand(name: 'activate' | 'deactivate'): Command {
  return clientCommand(name, `${name} a subscription`)
    .argument('<type>', TYPE_HELP)
    .argument('<key>', KEY_HELP)
    .action((type: string, key: string, _options: object, self: Command) =>
      runEngineCommand(self, async (run) => {
        const id = await subscriptionId(run, type, key, name);
        const body = {
          active: name === 'activate',
          subscription_key: key,
          subscription_type: type,
        };
        const answer = run.payloadOf(await run.client.updateSubscription(id, body));
        await run.printOutput(answer, () => 'Success');
      }),
    );
}

/** The id of the subscription of `type` to `key`; it must exist already. */
async function subscriptionId(
  run: EngineRun,
  type: string,
  key: string,
  action: 'activate' | 'deactivate',
): Promise<string> {
  const result = await run.client.listSubscriptions({ key, type });
  const [found] = pythonTruthy(result.payload) ? (result.payload as Subscription[]) : [];
  if (found === undefined)
    throw failure(
      `cannot locate subscription record using specified input (subscription_type=${type}, subscription_key=${key} needs to exist before ${action.replace(/e$/, '')}ion)`,
    );
  if (!pythonTruthy(found.subscription_id))
    throw failure('could not get a valid subscription record using specified input');
  return found.subscription_id;
}

function deleteCommand(): Command {
  return clientCommand(
    'del',
    'delete a subscription by its id (see list --full); deactivate it first',
  )
    .argument('<id>', 'the subscription id')
    .action((id: string, _options: object, self: Command) =>
      runEngineCommand(self, async (run) => {
        run.payloadOf(await run.client.deleteSubscription(id));
        await run.print('Success');
      }),
    );
}
