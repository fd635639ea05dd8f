/**
 * `npm run bench`: inventory (bench/inventory.ts: `drydock files` against `gzip -dc`, layer cache
 * speed-up, peak RSS), SBOM (bench/sbom.ts: `drydock sbom` against Trivy on a real Debian image),
 * vulndb (bench/vulndb.ts: OSV import of 300,000 records against `unzip -p`), match
 * (bench/match.ts: 10,000 packages against those records) and policy (bench/policy.ts: a 40-rule
 * bundle on a large analysis) and engine (bench/engine.ts: API latency under 50 clients with 1,000
 * images, analysis with 1 and 2 workers). Options: `--only inventory|sbom|vulndb|match|policy|engine`
 * (default: all),
 * `--runs N` (default 3; medians are reported), `--rss-probe time|node` (default: /usr/bin/time
 * when it exists).
 */
import { parseArgs } from 'node:util';
import { runEngineBench } from './engine.js';
import { runInventoryBench } from './inventory.js';
import { runMatchBench } from './match.js';
import { defaultProbe, type ProbeKind } from './measure.js';
import { runPolicyBench } from './policy.js';
import { runSbomBench } from './sbom.js';
import { runVulnDbBench } from './vulndb.js';

const PARTS = {
  inventory: runInventoryBench,
  sbom: runSbomBench,
  vulndb: runVulnDbBench,
  match: runMatchBench,
  policy: runPolicyBench,
  engine: runEngineBench,
} satisfies Record<string, (runs: number, probe: ProbeKind) => Promise<void>>;
type Part = keyof typeof PARTS;

function isPart(name: string): name is Part {
  return Object.hasOwn(PARTS, name);
}

function options(): { runs: number; probe: ProbeKind; parts: Part[] } {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      'rss-probe': { type: 'string' },
      only: { type: 'string' },
    },
  });
  const runs = Number.parseInt(values.runs, 10);
  if (!(runs >= 1)) throw new Error(`--runs must be a positive number, not "${values.runs}"`);
  const probe = values['rss-probe'] ?? defaultProbe();
  if (probe !== 'time' && probe !== 'node') {
    throw new Error(`--rss-probe must be "time" or "node", not "${probe}"`);
  }
  const only = values.only;
  if (only !== undefined && !isPart(only)) {
    throw new Error(`--only must be one of ${Object.keys(PARTS).join(', ')}, not "${only}"`);
  }
  const parts = only === undefined ? (Object.keys(PARTS) as Part[]) : [only];
  return { runs, probe, parts };
}

const { runs, probe, parts } = options();
for (const part of parts) {
  console.log(`── ${part} ──`);
  await PARTS[part](runs, probe);
}
