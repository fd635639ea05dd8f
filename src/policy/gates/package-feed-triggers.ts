/**
 * The triggers of Anchore's `npms` and `ruby_gems` gates that read its package metadata feed
 * (every published npm or gem name and version, from Anchore's own `packages` feed). drydock has
 * no such feed, so the three comparisons are kept only so that bundles written for Anchore load:
 * Anchore 1.0 lists them as active, but here they are declared end-of-life (Anchore's state for a
 * trigger that no longer evaluates) and never fire. `feed_data_unavailable` says so for an image
 * that holds such packages.
 */
import type { PackageType } from '../../model/index.js';
import type { Trigger } from '../gate.js';
import { messageTriggerId } from './message-trigger-id.js';

export interface FeedTriggerSpec {
  gate: string;
  /** What the ecosystem is called in messages: `NPM`, `Gem`. */
  ecosystem: string;
  type: PackageType;
  /** Anchore's names and descriptions of the three feed comparisons. */
  comparisons: { name: string; description: string }[];
}

const noFeed = (spec: FeedTriggerSpec): string =>
  `drydock has no ${spec.ecosystem} package metadata feed, so this trigger never fires; it is kept so that bundles written for Anchore load.`;

/** The three feed comparisons, end-of-life: declared with Anchore's names, never firing. */
export function feedComparisonTriggers(spec: FeedTriggerSpec): Trigger[] {
  return spec.comparisons.map((comparison) => ({
    name: comparison.name,
    description: `${comparison.description} ${noFeed(spec)}`,
    params: [],
    state: 'eol',
    evaluate: () => [],
  }));
}

export function feedUnavailableTrigger(spec: FeedTriggerSpec): Trigger {
  // Anchore's message, whose md5 is its trigger id.
  const anchore = `${spec.ecosystem} packages are present but the anchore ${spec.ecosystem.toLowerCase()} feed is not available - will be unable to perform checks that require feed data`;
  return {
    name: 'feed_data_unavailable',
    description: `Fires when the image holds ${spec.ecosystem} packages: drydock has no ${spec.ecosystem} package metadata feed, so the feed checks of this gate cannot be made. (Anchore fires it whenever its feed is missing, packages or not.)`,
    params: [],
    evaluate: (input) =>
      input.content.packages.some((p) => p.type === spec.type)
        ? [
            {
              triggerId: messageTriggerId(spec.gate, 'feed_data_unavailable', anchore),
              message: `${spec.ecosystem} packages are present but no ${spec.ecosystem} package metadata feed is available: the checks that need feed data (newest version, unknown names and versions) cannot be made.`,
            },
          ]
        : [],
  };
}
