/**
 * Matching for the engine: an analysis's packages against the vulnerability database in the
 * data directory (`drydock db import|update --db-file DATA_DIR/vulndb.sqlite`, or the feed sync).
 */
import type { ImageContent, MatchResult } from '../model/index.js';
import { EMPTY_CONTENT } from '../report/sbom/sbom-format.js';
import { withVulnDb } from '../vuln/db.js';
import { matchContent } from '../vuln/match/match.js';
import { vulnDbFile, type Engine } from './engine.js';
import { withoutDisabledFeeds } from './feeds.js';

/** Findings from feeds or groups an admin turned off are left out (src/engine/feeds.ts). */
export async function matchStored(
  engine: Engine,
  content: ImageContent | undefined,
): Promise<MatchResult> {
  const packages = content ?? EMPTY_CONTENT;
  const match = await withVulnDb(
    vulnDbFile(engine),
    (db) => matchContent(db, packages),
    () => matchContent(undefined, packages),
  );
  return withoutDisabledFeeds(engine, match);
}
