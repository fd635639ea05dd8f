/** Every enrichment feed, in the order a file is offered to them to be recognised. */
import type { EnrichmentFeed } from './feed.js';
import { epssFeed } from './epss.js';
import { kevFeed } from './kev.js';
import { nvdFeed } from './nvd.js';

export const ENRICHMENT_FEEDS: readonly EnrichmentFeed[] = [kevFeed, epssFeed, nvdFeed];
