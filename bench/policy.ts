/**
 * The policy part of `npm run bench`: evaluates a 40-rule bundle (every gate that reads packages,
 * files, findings, the Dockerfile or retained files) on an analysis of 5,000 packages, 50,000
 * files and 2,000 findings — the demo image's real analysis, scaled up — in this process. Target
 * (from the issue): ≤ 100 ms per evaluation. The baseline, in the same process, is one
 * JSON.stringify of the same input: what merely touching every field once costs.
 */
import { performance } from 'node:perf_hooks';
import { demoImageSpec } from '../examples/demo-image/spec.js';
import type { FileEntry, Finding, Package } from '../src/model/index.js';
import { validateBundle } from '../src/policy/bundle.js';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import type { PolicyInput } from '../src/policy/gate.js';
import { policyInputFor } from '../test/harness/policy-input.js';
import { median, times, verdict } from './measure.js';

const PACKAGES = 5_000;
const FILES = 50_000;
const FINDINGS = 2_000;
const TARGET_MS = 100;
const ITERATIONS = 15;

type Params = Record<string, string>;
const rule = (gate: string, trigger: string, action: string, params: Params = {}) => ({
  gate,
  trigger,
  action,
  params: Object.entries(params).map(([name, value]) => ({ name, value })),
});

const SEVERITIES = ['low', 'medium', 'high', 'critical'];
const RULES = [
  ...SEVERITIES.map((severity) =>
    rule('vulnerabilities', 'package', 'STOP', {
      package_type: 'all',
      severity_comparison: '>=',
      severity,
      fix_available: 'true',
    }),
  ),
  ...SEVERITIES.map((severity) =>
    rule('vulnerabilities', 'package', 'WARN', {
      package_type: 'os',
      severity_comparison: '=',
      severity,
    }),
  ),
  rule('vulnerabilities', 'package', 'WARN', {
    package_type: 'non-os',
    severity_comparison: '>',
    severity: 'low',
    max_days_since_creation: '30',
  }),
  rule('vulnerabilities', 'blacklist', 'STOP', {
    vulnerability_ids: 'CVE-2024-2961,CVE-2021-44228',
  }),
  rule('vulnerabilities', 'stale_feed_data', 'WARN', { max_days_since_sync: '2' }),
  rule('vulnerabilities', 'vulnerability_data_unavailable', 'WARN'),
  rule('vulnerabilities', 'known_exploited', 'STOP'),
  rule('vulnerabilities', 'epss_score', 'WARN', { epss_comparison: '>', epss_score: '0.5' }),
  rule('dockerfile', 'exposed_ports', 'STOP', { ports: '22', type: 'blacklist' }),
  rule('dockerfile', 'instruction', 'WARN', { instruction: 'HEALTHCHECK', check: 'not_exists' }),
  rule('dockerfile', 'instruction', 'WARN', { instruction: 'ADD', check: 'exists' }),
  rule('dockerfile', 'effective_user', 'STOP', { users: 'root', type: 'blacklist' }),
  rule('dockerfile', 'no_dockerfile_provided', 'WARN'),
  rule('files', 'suid_or_guid_set', 'WARN'),
  rule('files', 'name_match', 'STOP', { regex: '.*\\.pem$' }),
  rule('files', 'name_match', 'WARN', { regex: '.*/\\.ssh/.*' }),
  rule('files', 'content_regex_match', 'WARN'),
  rule('packages', 'blacklist', 'STOP', { name: 'telnetd' }),
  rule('packages', 'blacklist', 'STOP', { name: 'netcat' }),
  rule('packages', 'required_package', 'WARN', { name: 'ca-certificates' }),
  rule('packages', 'verify', 'WARN', { check: 'missing' }),
  rule('licenses', 'blacklist_exact_match', 'STOP', { licenses: 'AGPL-3.0-only,SSPL-1.0' }),
  rule('licenses', 'blacklist_partial_match', 'WARN', { licenses: 'GPL' }),
  rule('passwd_file', 'blacklist_usernames', 'STOP', { user_names: 'toor' }),
  rule('passwd_file', 'blacklist_userids', 'WARN', { user_ids: '1001,1002' }),
  rule('passwd_file', 'blacklist_shells', 'WARN', { shells: '/bin/csh' }),
  rule('passwd_file', 'content_not_available', 'WARN'),
  rule('secret_scans', 'content_regex_checks', 'STOP'),
  rule('retrieved_files', 'content_not_available', 'WARN', { path: '/etc/sudoers' }),
  rule('metadata', 'attribute', 'WARN', { attribute: 'layer_count', check: '>', value: '30' }),
  rule('metadata', 'attribute', 'WARN', { attribute: 'distro', check: '!=', value: 'debian' }),
  rule('npms', 'blacklisted_name_version', 'STOP', { name: 'event-stream', version: '3.3.6' }),
  rule('ruby_gems', 'blacklist', 'STOP', { name: 'rest-client', version: '1.6.13' }),
  rule('malware', 'scan_not_run', 'WARN'),
].map((r, i) => ({ id: `rule-${i}`, ...r }));

function bundle() {
  return validateBundle(
    {
      id: 'bench',
      version: '1_0',
      policies: [{ id: 'p', version: '1_0', rules: RULES }],
      whitelists: [
        {
          id: 'w',
          version: '1_0',
          items: [{ id: 'i', gate: 'vulnerabilities', trigger_id: 'CVE-2099-1*' }],
        },
      ],
      mappings: [
        {
          registry: '*',
          repository: '*',
          image: { type: 'tag', value: '*' },
          policy_id: 'p',
          whitelist_ids: ['w'],
        },
      ],
    },
    'bench bundle',
  );
}

/** The demo image's real analysis, with packages, files and findings copied up to the sizes. */
async function scaledInput(): Promise<PolicyInput> {
  const input = await policyInputFor(demoImageSpec);
  const pkgs = input.content.packages;
  const packages: Package[] = Array.from({ length: PACKAGES }, (_, i) => {
    const from = pkgs[i % pkgs.length] as Package;
    return { ...from, id: `${from.id}-${i}`, name: `${from.name}-${i}` };
  });
  // The image's own files, then plain copies (real images have a few dozen setuid files, not thousands).
  const copies = Array.from({ length: FILES - input.files.length }, (_, i): FileEntry => {
    const from = input.files[i % input.files.length] as FileEntry;
    return { ...from, path: `/opt/bench/${i % 97}/${i}${from.path}`, mode: from.mode & 0o777 };
  });
  const files = [...input.files, ...copies];
  const severities = ['Low', 'Medium', 'High', 'Critical', 'Unknown'] as const;
  const findings: Finding[] = Array.from({ length: FINDINGS }, (_, i) => {
    const pkg = packages[(i * 7) % PACKAGES] as Package;
    return {
      id: `CVE-2099-${10_000 + i}`,
      aliases: [],
      severity: severities[i % severities.length] ?? 'Low',
      severitySource: 'feed',
      cvss: [],
      package: {
        id: pkg.id,
        name: pkg.name,
        version: pkg.version,
        type: pkg.type,
        purl: pkg.purl,
        paths: pkg.locations.map((l) => l.path),
      },
      matchedAs: { ecosystem: 'Debian:12', name: pkg.name, version: pkg.version },
      fix:
        i % 3 === 0 ? { state: 'not-fixed', versions: [] } : { state: 'fixed', versions: ['99'] },
      feed: 'Debian',
      group: 'Debian:12',
      urls: [],
      published: '2026-01-01T00:00:00Z',
      modified: '2026-01-02T00:00:00Z',
    };
  });
  const feeds = [{ name: 'Debian', lastSync: '2026-11-24T00:00:00Z', records: 1 }];
  return {
    ...input,
    content: { ...input.content, packages },
    files,
    match: { findings, data: { available: true, feeds, missingGroups: [], unchecked: [] } },
  };
}

function timed(run: () => unknown): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

export async function runPolicyBench(runs: number): Promise<void> {
  const input = await scaledInput();
  const rules = bundle();
  const iterations = Math.max(ITERATIONS, runs);
  evaluatePolicy(rules, input); // warm-up: JIT and lazily built indexes
  const evaluations: number[] = [];
  const baselines: number[] = [];
  let rows = 0;
  for (let i = 0; i < iterations; i += 1) {
    baselines.push(timed(() => JSON.stringify(input)));
    evaluations.push(timed(() => (rows = evaluatePolicy(rules, input).rows.length)));
  }
  const ms = median(evaluations);
  const baseline = median(baselines);
  console.log(
    `evaluate ${RULES.length} rules on ${PACKAGES} packages, ${FILES} files, ${FINDINGS} findings (${rows} rows): ` +
      `median ${ms.toFixed(1)} ms over ${iterations} runs — ${verdict(ms <= TARGET_MS)} (target ≤ ${TARGET_MS} ms); ` +
      `${times(ms / baseline)} one JSON.stringify of the input (${baseline.toFixed(1)} ms)`,
  );
}
