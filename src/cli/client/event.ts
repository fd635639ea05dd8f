/**
 * `drydock event list|get|delete`: what happened in the account, as anchore-cli shows it. One
 * difference: `event delete ID` reports the engine's answer (anchore-cli prints nothing and exits
 * 0 even when there is no such event).
 */
import type { Command } from 'commander';
import { failure } from '../../client/cli-output.js';
import {
  eventListText,
  eventsDeletedText,
  eventText,
  type EventPage,
} from '../../client/event-output.js';
import type { EngineResult, Query } from '../../client/api-client.js';
import { clientCommand, clientGroup, runEngineCommand, type EngineRun } from './engine-command.js';
import { ask } from './prompt.js';

export function eventCommand(): Command {
  return clientGroup('event', 'events of the account: analyses, findings and verdicts that changed')
    .addCommand(listCommand())
    .addCommand(getCommand())
    .addCommand(deleteCommand());
}

interface ListOptions {
  since?: string;
  before?: string;
  level?: string;
  service?: string;
  host?: string;
  event_type?: string;
  resource_type?: string;
  all?: boolean;
  full?: boolean;
}

function listCommand(): Command {
  return clientCommand('list', 'list events, newest first (the first 100 unless --all)')
    .argument('[resource]', 'only events about this tag, image digest or repository')
    .option('--since <timestamp>', 'only events at or after this ISO 8601 UTC time')
    .option('--before <timestamp>', 'only events before this ISO 8601 UTC time')
    .option('--level <level>', 'info or error')
    .option('--service <name>', 'only events from this service')
    .option('--host <id>', 'only events from this host')
    .option('--event_type <type>', 'only events whose type starts with this (user.image.analysis)')
    .option('--resource_type <type>', 'only events about this kind of resource')
    .option('--all', 'every event, not only the first 100')
    .option('--full', 'show the resource type, service and host too')
    .action((resource: string | undefined, options: ListOptions, self: Command) =>
      runEngineCommand(self, async (run) => {
        const level = options.level?.toLowerCase();
        if (options.level && level !== 'info' && level !== 'error')
          throw failure(
            `${options.level} is an invalid value for --level. Supported values are 'info' or 'error'`,
          );
        const query: Query = {
          since: options.since,
          before: options.before,
          level: options.level ? level : undefined,
          source_servicename: options.service,
          source_hostid: options.host,
          resource_id: resource,
          event_type: options.event_type,
          resource_type: options.resource_type,
        };
        const page = run.payloadOf(
          options.all === true ? await allEvents(run, query) : await run.client.listEvents(query),
        );
        await run.printOutput(page, (p: EventPage) => eventListText(p, options.full === true));
      }),
    );
}

/** Every page, the results gathered into the last answer, as anchore-cli's --all does. */
async function allEvents(run: EngineRun, query: Query): Promise<EngineResult> {
  const results: unknown[] = [];
  let pageQuery = query;
  for (;;) {
    const result = await run.client.listEvents(pageQuery);
    if (!result.success) return result;
    const page = result.payload as { results: unknown[]; next_page?: unknown; page?: unknown };
    results.push(...page.results);
    page.results = results;
    if (page.next_page !== true) return result;
    pageQuery = { ...query, page: String(Number(page.page) + 1) };
  }
}

function getCommand(): Command {
  return clientCommand('get', 'show one event, as YAML')
    .argument('<id>', 'the event id (see list)')
    .action((id: string, _options: object, self: Command) =>
      runEngineCommand(self, async (run) => {
        const event = run.payloadOf(await run.client.getEvent(id));
        await run.printOutput(event, eventText);
      }),
    );
}

interface DeleteOptions {
  since?: string;
  before?: string;
  dontask?: boolean;
  all?: boolean;
}

function deleteCommand(): Command {
  return clientCommand('delete', 'delete one event, those in a time range, or all of them')
    .argument('[id]', 'the event id; --since and --before are ignored with it')
    .option('--since <timestamp>', 'delete events at or after this ISO 8601 UTC time')
    .option('--before <timestamp>', 'delete events before this ISO 8601 UTC time')
    .option('--all', 'delete every event (asks first, unless --dontask)')
    .option('--dontask', 'do not ask before deleting every event')
    .action((id: string | undefined, options: DeleteOptions, self: Command) =>
      runEngineCommand(self, async (run) => {
        if (id) {
          const answer = run.payloadOf(await run.client.deleteEvent(id));
          await run.printOutput(answer, () => 'Success');
          return;
        }
        if (!options.all && !options.since && !options.before)
          throw failure('Must include either an event_id, --all, --since, or --before');
        const confirmed =
          !options.all ||
          options.dontask === true ||
          (await ask('Really delete (clear) all events? (y/N)')).toLowerCase() === 'y';
        if (!confirmed) return;
        const deleted = run.payloadOf(
          await run.client.deleteEvents({ since: options.since, before: options.before }),
        );
        await run.printOutput(deleted, eventsDeletedText);
      }),
    );
}
