/**
 * Matching for the engine: an analysis's packages against the vulnerability database in the
 * data directory (`drydock db import|update --db-file DATA_DIR/vulndb.sqlite`, or the feed sync).
 */
import { matchWithDb } from '../cli/scan.js';
import type { ImageContent, MatchResult } from '../model/index.js';
import { vulnDbFile, type Engine } from './engine.js';
import { withoutDisabledFeeds } from './feeds.js';

const NO_CONTENT: ImageContent = { packages: [], secrets: [], retainedFiles: [] };

/** Findings from feeds or groups an admin turned off are left out (src/engine/feeds.ts). */
export async function matchStored(
  engine: Engine,
  content: ImageContent | undefined,
): Promise<MatchResult> {
  return withoutDisabledFeeds(
    engine,
    await matchWithDb(content ?? NO_CONTENT, { dbFile: vulnDbFile(engine) }),
  );
}
