/** `npms`: Anchore's npm checks; only the blacklist and the feed notice can fire in drydock. */
import type { Gate } from '../gate.js';
import { packageBlacklistTrigger } from './package-blacklist.js';
import {
  feedComparisonTriggers,
  feedUnavailableTrigger,
  type FeedTriggerSpec,
} from './package-feed-triggers.js';

const FEED: FeedTriggerSpec = {
  gate: 'npms',
  ecosystem: 'NPM',
  type: 'npm',
  comparisons: [
    {
      name: 'newer_version_in_feed',
      description:
        'Triggers if an installed NPM is not the latest version according to NPM data feed.',
    },
    {
      name: 'unknown_in_feeds',
      description:
        'Triggers if an installed NPM is not in the official NPM database, according to NPM data feed.',
    },
    {
      name: 'version_not_in_feeds',
      description:
        'Triggers if an installed NPM version is not listed in the official NPM feed as a valid version.',
    },
  ],
};

export const npmsGate: Gate = {
  name: 'npms',
  description: 'NPM Checks',
  triggers: [
    ...feedComparisonTriggers(FEED),
    packageBlacklistTrigger({
      gate: 'npms',
      trigger: 'blacklisted_name_version',
      description:
        'Fires if the image has an npm package installed with this name (and, if given, this exact version); once per installed version.',
      type: 'npm',
      noun: 'NPM Package',
      nameDescription: 'Npm package name to blacklist.',
      versionDescription: 'Npm package version to blacklist specifically.',
      nameExample: 'time_diff',
      versionExample: '0.2.9',
    }),
    feedUnavailableTrigger(FEED),
  ],
};
