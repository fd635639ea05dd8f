/** `ruby_gems`: Anchore's gem checks; only the blacklist and the feed notice can fire in drydock. */
import type { Gate } from '../gate.js';
import { packageBlacklistTrigger } from './package-blacklist.js';
import {
  feedComparisonTriggers,
  feedUnavailableTrigger,
  type FeedTriggerSpec,
} from './package-feed-triggers.js';

const FEED: FeedTriggerSpec = {
  gate: 'ruby_gems',
  ecosystem: 'Gem',
  type: 'gem',
  comparisons: [
    {
      name: 'newer_version_found_in_feed',
      description:
        'Triggers if an installed GEM is not the latest version according to GEM data feed.',
    },
    {
      name: 'not_found_in_feed',
      description:
        'Triggers if an installed GEM is not in the official GEM database, according to GEM data feed.',
    },
    {
      name: 'version_not_found_in_feed',
      description:
        'Triggers if an installed GEM version is not listed in the official GEM feed as a valid version.',
    },
  ],
};

export const rubyGemsGate: Gate = {
  name: 'ruby_gems',
  description: 'Ruby Gem Checks',
  triggers: [
    ...feedComparisonTriggers(FEED),
    packageBlacklistTrigger({
      gate: 'ruby_gems',
      trigger: 'blacklist',
      description:
        'Fires if the image has a gem installed with this name (and, if given, this exact version); once per installed version.',
      type: 'gem',
      noun: 'Gem Package',
      nameDescription: 'Gem name to blacklist.',
      versionDescription: 'Optional version to blacklist specifically.',
      nameExample: 'time_diff',
      versionExample: '0.2.9',
    }),
    feedUnavailableTrigger(FEED),
  ],
};
