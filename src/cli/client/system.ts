/** `drydock system status` and `drydock system feeds list|sync`, as anchore-cli prints them. */
import { Command } from 'commander';
import {
  feedsListText,
  feedsSyncText,
  systemStatusText,
  type FeedRecord,
} from '../../client/system-output.js';
import { clientCommand, clientGroup, runEngineCommand } from './engine-command.js';
import { ask } from './prompt.js';

const SYNC_WARNING =
  '\nWARNING: This operation should not normally need to be performed except when the anchore-engine operator is certain that it is required - the operation will take a long time (hours) to complete, and there may be an impact on anchore-engine performance during the re-sync/flush.\n';

export function systemCommand(): Command {
  return clientGroup('system', "the engine's services and vulnerability feeds (anchore-cli)")
    .addCommand(statusCommand())
    .addCommand(
      clientGroup('feeds', 'the vulnerability feeds')
        .addCommand(feedsListCommand())
        .addCommand(feedsSyncCommand()),
    );
}

function statusCommand(): Command {
  return clientCommand('status', "the engine's services and versions").action(
    (_options: object, self: Command) =>
      runEngineCommand(self, async (run) => {
        const status = run.payloadOf(await run.client.systemStatus());
        await run.printOutput(status, systemStatusText);
      }),
  );
}

function feedsListCommand(): Command {
  return clientCommand('list', 'the feeds, their groups and when they last synced').action(
    (_options: object, self: Command) =>
      runEngineCommand(self, async (run) => {
        const feeds = run.payloadOf(await run.client.listFeeds());
        await run.printOutput(feeds, (list: FeedRecord[]) => feedsListText(list));
      }),
  );
}

function feedsSyncCommand(): Command {
  return clientCommand(
    'sync',
    're-match every stored image against the feeds now (asks first: answer y on stdin)',
  )
    .option('--flush', 'ask the engine to flush before syncing')
    .action((options: { flush?: boolean }, self: Command) =>
      runEngineCommand(self, async (run) => {
        await run.print(SYNC_WARNING);
        const answer = await ask('Really perform a manual feed data sync/flush? (y/N)');
        if (answer.toLowerCase() !== 'y') return;
        const result = run.payloadOf(await run.client.syncFeeds(options.flush === true));
        await run.printOutput(result, feedsSyncText);
      }),
    );
}
