/**
 * `drydock evaluate` end to end through the built CLI, on images the image builder writes as OCI
 * layouts: verdicts and exit codes, Anchore Engine's check response (checked byte for byte against
 * Python's json.dumps, as anchore-cli prints it, and read with the jq filter a seed pipeline uses),
 * the anchore-cli table (against prettytable's PLAIN_COLUMNS), mappings, allowlists, black- and
 * whitelisted images, vulnerability and Dockerfile rules on the demo image's real OSV records, the
 * shipped default bundle, --tag, --policy-id, --base, and malformed bundles.
 */
import { failingImage, passingImage } from './harness/gate-images.js';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoImageSpec } from '../examples/demo-image/spec.js';
import type {
  AnchoreCheck,
  AnchoreCheckResponse,
  AnchoreEvaluation,
} from '../src/report/policy/anchore-check.js';
import { PYTHON_JSON } from './harness/python-oracle.js';
import { ensureBuilt, runCli, type CliRun } from './harness/cli.js';
import { buildImage, writeOciLayout } from './harness/image-builder.js';

/** The seed pipeline's filter: the STOP rows of a failed evaluation, as [trigger id, output]. */
const SEED_JQ_FILTER =
  '.[keys_unsorted[0]] | .[keys_unsorted[0]] | .[keys_unsorted[0]] | .[].detail.result | ' +
  'select ((.final_action=="stop") and (.final_action_reason=="policy_evaluation")) | ' +
  '.result[].result?.rows[] | select (.[6]=="stop") | [.[2], .[5]]';

const PYTHON_TABLE = `
import json, sys
from prettytable import PrettyTable, PLAIN_COLUMNS
detail = sys.argv[1] == "detail"
out = ""
for record in json.load(sys.stdin):
    for digest, by_tag in record.items():
        for tag, checks in by_tag.items():
            for check in checks:
                lines = [("Image Digest", digest), ("Full Tag", tag)]
                result = check["detail"]["result"] if detail else None
                if detail:
                    lines.append(("Image ID", result["image_id"]))
                lines += [("Status", check["status"]), ("Last Eval", check["last_evaluation"]),
                          ("Policy ID", check["policyId"])]
                if detail:
                    lines += [("Final Action", result["final_action"]),
                              ("Final Action Reason", result["final_action_reason"])]
                out += "".join(k + ": " + str(v) + "\\n" for k, v in lines)
                if detail:
                    t = PrettyTable(["Gate", "Trigger", "Detail", "Status"])
                    t.set_style(PLAIN_COLUMNS)
                    t.align = "l"
                    for row in result["result"][result["image_id"]]["result"]["rows"]:
                        status = "whitelisted(" + row[7]["whitelist_name"] + ")" if row[7] else row[6]
                        t.add_row([row[3], row[4], row[5], status])
                    out += "\\n" + t.get_string() + "\\n"
print(out)
`;

const GOOD = passingImage();
const BAD = failingImage();
/** The demo image's first layer alone: the base the demo image is built on. */
const BASE = buildImage({
  ...demoImageSpec,
  layers: demoImageSpec.layers.slice(0, 1),
  history: demoImageSpec.history?.slice(0, 2),
});
const DEMO_OSV = join(import.meta.dirname, '..', 'examples', 'demo-image', 'osv');

const always = (id: string, action: string) => ({
  id,
  version: '1_0',
  rules: [{ id: `${id}-always`, gate: 'always', trigger: 'always', action, params: [] }],
});

const BUNDLE = {
  id: 'drydock-test-bundle',
  name: 'Test bundle',
  version: '1_0',
  policies: [always('stopper', 'STOP'), always('warner', 'WARN'), always('goer', 'GO')],
  whitelists: [
    {
      id: 'team-wl',
      name: 'Équipe allowlist',
      version: '1_0',
      items: [{ id: 'wl-always', gate: 'always', trigger_id: 'always', reason: 'known' }],
    },
    {
      id: 'expired-wl',
      name: 'Expired',
      version: '1_0',
      items: [{ id: 'old', gate: 'always', trigger_id: '*', expires_on: '2020-01-01T00:00:00Z' }],
    },
  ],
  mappings: [
    {
      id: 'm-bad',
      name: 'bad image by digest',
      registry: '*',
      repository: '*',
      image: { type: 'digest', value: BAD.manifestDigest },
      policy_id: 'stopper',
      whitelist_ids: ['expired-wl'],
    },
    {
      id: 'm-team',
      name: 'team',
      registry: 'registry.example:5000',
      repository: 'team/*',
      image: { type: 'tag', value: '1.*' },
      policy_ids: ['stopper'],
      whitelist_ids: ['team-wl'],
    },
    {
      id: 'm-all',
      name: 'everything else',
      registry: '*',
      repository: '*',
      image: { type: 'tag', value: '*' },
      policy_id: 'warner',
      whitelist_ids: [],
    },
  ],
  whitelisted_images: [
    { name: 'trusted', registry: '*', repository: 'trusted/*', image: { type: 'tag', value: '*' } },
  ],
  blacklisted_images: [
    { name: 'blocked', registry: '*', repository: 'blocked/*', image: { type: 'tag', value: '*' } },
  ],
};

const rule = (id: string, gate: string, trigger: string, action: string, params = {}) => ({
  id,
  gate,
  trigger,
  action,
  params: Object.entries(params).map(([name, value]) => ({ name, value })),
});

const oneMapping = (policyId: string, whitelistIds: string[] = []) => [
  {
    name: 'all',
    registry: '*',
    repository: '*',
    image: { type: 'tag', value: '*' },
    policy_id: policyId,
    whitelist_ids: whitelistIds,
  },
];

/** Every vulnerability STOPs, an exposed ssh port too; one CVE is an accepted risk. */
const VULN_BUNDLE = {
  id: 'vuln-bundle',
  version: '1_0',
  policies: [
    {
      id: 'vulns',
      version: '1_0',
      rules: [
        rule('any-vuln', 'vulnerabilities', 'package', 'STOP', {
          package_type: 'all',
          severity_comparison: '>=',
          severity: 'unknown',
        }),
        rule('ssh', 'dockerfile', 'exposed_ports', 'STOP', { ports: '22', type: 'blacklist' }),
      ],
    },
  ],
  whitelists: [
    {
      id: 'accepted',
      name: 'Accepted risks',
      version: '1_0',
      items: [
        {
          id: 'glibc',
          gate: 'vulnerabilities',
          trigger_id: 'CVE-2024-2961+libc6',
          reason: 'iconv unused',
        },
      ],
    },
  ],
  mappings: oneMapping('vulns', ['accepted']),
};

const BASE_BUNDLE = {
  id: 'base-bundle',
  version: '1_0',
  policies: [
    {
      id: 'base',
      version: '1_0',
      rules: [
        rule('on-base', 'base_image', 'not_built_on_base', 'STOP'),
        rule('has-base', 'base_image', 'base_not_provided', 'STOP'),
        rule('added', 'base_image', 'packages_added', 'WARN', { package_type: 'npm' }),
      ],
    },
  ],
  mappings: oneMapping('base'),
};

let work: string;
let good: string;
let bad: string;
let base: string;
let dbFile: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'drydock-evaluate-'));
  await writeOciLayout(join(work, 'good'), GOOD, 'good');
  await writeOciLayout(join(work, 'bad'), BAD, 'demo');
  good = `oci-dir:${join(work, 'good')}:good`;
  await writeOciLayout(join(work, 'base'), BASE, 'base');
  bad = `oci-dir:${join(work, 'bad')}:demo`;
  base = `oci-dir:${join(work, 'base')}:base`;
  dbFile = join(work, 'vulndb.sqlite');
  await writeFile(join(work, 'bundle.json'), JSON.stringify(BUNDLE));
  await writeFile(join(work, 'vuln-bundle.json'), JSON.stringify(VULN_BUNDLE));
  await writeFile(join(work, 'base-bundle.json'), JSON.stringify(BASE_BUNDLE));
  await ensureBuilt();
  const imported = await runCli(['db', 'import', DEMO_OSV, '--db-file', dbFile, '-q'], work);
  if (imported.code !== 0) throw new Error(`db import failed: ${imported.stderr}`);
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** `drydock evaluate SOURCE` on the demo's vulnerability data, with the bundle named (none: the shipped one). */
const evaluateWith = (
  policy: string | undefined,
  source: string,
  ...args: string[]
): Promise<CliRun> =>
  runCli(
    [
      'evaluate',
      source,
      ...(policy === undefined ? [] : ['--policy', join(work, policy)]),
      ...['-q', '--no-cache', '--db-file', dbFile, ...args],
    ],
    work,
  );
const evaluate = (source: string, ...args: string[]): Promise<CliRun> =>
  evaluateWith('bundle.json', source, ...args);

function run(command: string, args: string[], input: string): string {
  const result = spawnSync(command, args, { input, encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`${command} failed: ${result.stderr || String(result.error)}`);
  return result.stdout;
}

/** The single check of a response, with its digest and tag. */
function onlyCheck(stdout: string): { digest: string; tag: string; check: AnchoreCheck } {
  const response = JSON.parse(stdout) as AnchoreCheckResponse;
  const checks = response.flatMap((byDigest) =>
    Object.entries(byDigest).flatMap(([digest, byTag]) =>
      Object.entries(byTag).flatMap(([tag, list]) => list.map((check) => ({ digest, tag, check }))),
    ),
  );
  expect(checks).toHaveLength(1);
  const [only] = checks;
  if (only === undefined) throw new Error('the response holds no check');
  return only;
}

/** The evaluation of a check made with --detail. */
function evaluationOf(check: AnchoreCheck): AnchoreEvaluation {
  if (check.detail.result === undefined) throw new Error('the check has no detail');
  return check.detail.result;
}

const withoutLastEval = (text: string): string =>
  text.replace(/^Last Eval: .*$/m, 'Last Eval: <time>');

describe('drydock evaluate', () => {
  it('passes an image whose policy only warns, and prints the verdict and the gap', async () => {
    const result = await evaluate(good);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        '^Image Digest: sha256:[0-9a-f]{64}\\n' +
          'Full Tag: localhost/good:good\\n' +
          'Status: pass\\n' +
          'Last Eval: \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\n' +
          'Policy ID: drydock-test-bundle\\n' +
          '\\n' +
          'Gap: none: no STOP results \\(and 1 WARN result\\)\\n$',
      ),
    );
  });

  it('fails an image a STOP rule fires on: exit 1, the gap on stderr, expired allowlists ignored', async () => {
    const result = await evaluate(bad, '--detail', '-o', 'json');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'drydock: localhost/bad:demo fails policy bundle drydock-test-bundle (policy_evaluation): ' +
        '1 STOP result to clear, 0 of them have a fix\n',
    );
    const { digest, tag, check } = onlyCheck(result.stdout);
    expect(digest).toBe(BAD.manifestDigest);
    expect(tag).toBe('localhost/bad:demo');
    const imageId = BAD.configDigest.replace('sha256:', '');
    const createdAt = evaluationOf(check).created_at;
    expect(check).toEqual({
      detail: {
        policy: BUNDLE,
        result: {
          bundle: BUNDLE,
          created_at: createdAt,
          evaluation_problems: [],
          final_action: 'stop',
          final_action_reason: 'policy_evaluation',
          image_digest: BAD.manifestDigest,
          image_id: imageId,
          last_modified: createdAt,
          matched_blacklisted_images_rule: false,
          matched_mapping_rule: BUNDLE.mappings[0],
          matched_whitelisted_images_rule: false,
          result: {
            [imageId]: {
              result: {
                final_action: 'stop',
                header: [
                  'Image_Id',
                  'Repo_Tag',
                  'Trigger_Id',
                  'Gate',
                  'Trigger',
                  'Check_Output',
                  'Gate_Action',
                  'Whitelisted',
                  'Policy_Id',
                ],
                row_count: 1,
                rows: [
                  [imageId, tag, 'always', 'always', 'always', 'always', 'stop', false, 'stopper'],
                ],
              },
            },
            policy_data: [],
            policy_name: '',
            whitelist_data: [],
            whitelist_names: [],
          },
          status: 'fail',
          tag,
        },
      },
      last_evaluation: `${new Date(createdAt * 1000).toISOString().slice(0, 19)}Z`,
      policyId: 'drydock-test-bundle',
      status: 'fail',
    });
    // Seconds since the epoch, as Anchore stores them (not milliseconds).
    expect(String(createdAt)).toMatch(/^\d{10}$/);
  });

  it('prints JSON exactly as anchore-cli --json does, and the seed pipeline’s jq filter reads it', async () => {
    const failed = await evaluate(bad, '--detail', '-o', 'json');
    expect(failed.stdout).toContain('\\u00c9quipe allowlist');
    expect(failed.stdout).toBe(run('/usr/bin/python3', ['-c', PYTHON_JSON], failed.stdout));
    expect(run('jq', ['-c', SEED_JQ_FILTER], failed.stdout)).toBe('["always","always"]\n');
    const passed = await evaluate(good, '--detail', '-o', 'json');
    expect(passed.code).toBe(0);
    expect(run('jq', ['-c', SEED_JQ_FILTER], passed.stdout)).toBe('');
    const brief = onlyCheck((await evaluate(good, '-o', 'json')).stdout);
    expect(brief.check.detail).toEqual({});
  });

  it('prints the table anchore-cli prints from that JSON, then the gap', async () => {
    const cases: [string, string, string[], string][] = [
      ['bundle.json', bad, ['--detail'], 'Gap: 1 STOP result to clear, 0 of them have a fix\n'],
      [
        'bundle.json',
        good,
        ['--detail', '--tag', 'registry.example:5000/team/app:1.2'],
        'Gap: none: no STOP results\n',
      ],
      ['bundle.json', good, [], 'Gap: none: no STOP results (and 1 WARN result)\n'],
      [
        'vuln-bundle.json',
        bad,
        ['--detail'],
        'Gap: 4 STOP results to clear, 3 of them have a fix\n',
      ],
    ];
    for (const [policy, source, args, gap] of cases) {
      const [table, json] = await Promise.all([
        evaluateWith(policy, source, ...args),
        evaluateWith(policy, source, ...args, '-o', 'json'),
      ]);
      const detail = args.includes('--detail') ? 'detail' : 'brief';
      const expected = run('/usr/bin/python3', ['-c', PYTHON_TABLE, detail], json.stdout);
      expect(withoutLastEval(table.stdout)).toBe(withoutLastEval(expected) + gap);
    }
    const team = await evaluate(good, '--detail', '--tag', 'registry.example:5000/team/app:1.2');
    expect(team.code).toBe(0);
    expect(team.stdout).toMatch(
      /^always {8}always {9}always {8}whitelisted\(Équipe allowlist\) {8}$/m,
    );
  });

  it('leaves out findings a VEX statement suppresses, and says which statement did', async () => {
    const vex = join(work, 'express.openvex.json');
    await writeFile(
      vex,
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        '@id': 'https://example.com/vex/express',
        author: 'app team',
        timestamp: '2026-11-01T00:00:00Z',
        version: 1,
        statements: [
          {
            vulnerability: { name: 'GHSA-qw6h-vgh9-j6wx' },
            products: [{ '@id': 'pkg:npm/express' }],
            status: 'not_affected',
            justification: 'vulnerable_code_not_in_execute_path',
          },
        ],
      }),
    );
    const rows = async (...args: string[]) => {
      const result = await evaluateWith('vuln-bundle.json', bad, '--detail', '-o', 'json', ...args);
      const evaluation = evaluationOf(onlyCheck(result.stdout).check);
      const table = evaluation.result[BAD.configDigest.replace('sha256:', '')];
      const rows = typeof table === 'object' && 'result' in table ? table.result.rows : [];
      return { stderr: result.stderr, ids: rows.map((row) => row[2]) };
    };
    expect((await rows()).ids).toContain('GHSA-qw6h-vgh9-j6wx+express');
    const suppressed = await rows('--vex', vex);
    expect(suppressed.ids).not.toContain('GHSA-qw6h-vgh9-j6wx+express');
    expect(suppressed.ids).toContain('GHSA-rv95-896h-c2vc+express');
    expect(suppressed.stderr).toContain(
      'drydock: VEX: GHSA-qw6h-vgh9-j6wx in express is not_affected (https://example.com/vex/express statements[0]): not evaluated',
    );
  });

  it('reports an allowlisted row as go, naming the allowlist item', async () => {
    const result = await evaluate(
      good,
      '--detail',
      '-o',
      'json',
      '--tag',
      'registry.example:5000/team/app:1.2',
    );
    expect(result.code).toBe(0);
    const { tag, check } = onlyCheck(result.stdout);
    expect(tag).toBe('registry.example:5000/team/app:1.2');
    const evaluation = evaluationOf(check);
    expect(evaluation).toMatchObject({
      final_action: 'go',
      matched_mapping_rule: BUNDLE.mappings[1],
    });
    const [table] = Object.values(evaluation.result);
    expect(table).toMatchObject({
      result: {
        final_action: 'go',
        rows: [
          [
            evaluation.image_id,
            tag,
            'always',
            'always',
            'always',
            'always',
            'go',
            {
              whitelist_id: 'team-wl',
              whitelist_name: 'Équipe allowlist',
              matched_rule_id: 'wl-always',
            },
            'stopper',
          ],
        ],
      },
    });
  });

  it('passes whitelisted and fails blacklisted images whatever the rules say, naming the entry', async () => {
    const trusted = await evaluate(bad, '--detail', '-o', 'json', '--tag', 'trusted/app:1');
    expect(trusted.code).toBe(0);
    expect(onlyCheck(trusted.stdout).check.detail.result).toMatchObject({
      final_action: 'go',
      final_action_reason: 'whitelisted',
      matched_whitelisted_images_rule: BUNDLE.whitelisted_images[0],
      matched_blacklisted_images_rule: false,
      matched_mapping_rule: BUNDLE.mappings[0],
    });
    const blocked = await evaluate(good, '--tag', 'blocked/app:1');
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toMatch(/^Full Tag: docker\.io\/blocked\/app:1$/m);
    expect(blocked.stdout).toMatch(/^Gap: the image is blacklisted by the bundle/m);
    expect(blocked.stderr).toMatch(/\(blacklisted\)/);
  });

  it('evaluates the policy --policy-id names, and the tag --tag names, normalised as Docker does', async () => {
    const chosen = await evaluate(bad, '--detail', '--policy-id', 'goer', '--tag', 'alpine');
    expect(chosen.code).toBe(0);
    expect(chosen.stdout).toMatch(/^Full Tag: docker\.io\/library\/alpine:latest$/m);
    expect(chosen.stdout).toMatch(/^always {8}always {9}always {8}go {12}$/m);
  });

  it('judges vulnerabilities and the Dockerfile on real data, allowlisting by trigger id', async () => {
    const result = await evaluateWith('vuln-bundle.json', bad, '--detail', '-o', 'json');
    expect(result.code).toBe(1);
    const stops = run('jq', ['-c', SEED_JQ_FILTER], result.stdout)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as [string, string]);
    // The exposed port's id is Anchore's md5 of gate, trigger and message.
    const isMd5 = (id: string) => /^[0-9a-f]{32}$/.test(id);
    expect(stops).toHaveLength(4);
    expect(stops.filter(([id]) => isMd5(id)).map(([, output]) => output)).toEqual([
      expect.stringMatching(/port 22\/tcp is exposed/) as unknown,
    ]);
    expect(
      stops
        .map(([id]) => id)
        .filter((id) => !isMd5(id))
        .sort(),
    ).toEqual(['DSA-5678-1+libc6', 'GHSA-qw6h-vgh9-j6wx+express', 'GHSA-rv95-896h-c2vc+express']);
    expect(stops.find(([id]) => id.startsWith('GHSA-qw6h'))?.[1]).toMatch(/fixed in: 4\.20\.0/);
    const rows = Object.values(evaluationOf(onlyCheck(result.stdout).check).result).flatMap(
      (table) => (typeof table === 'object' && 'result' in table ? table.result.rows : []),
    );
    expect(rows.find((row) => row[2] === 'CVE-2024-2961+libc6')?.slice(6)).toEqual([
      'go',
      { whitelist_id: 'accepted', whitelist_name: 'Accepted risks', matched_rule_id: 'glibc' },
      'vulns',
    ]);
    const table = await evaluateWith('vuln-bundle.json', bad);
    expect(table.stdout).toMatch(/\nGap: 4 STOP results to clear, 3 of them have a fix\n$/);
  });

  it('uses the bundle drydock ships when no --policy is given', async () => {
    const result = await evaluateWith(undefined, bad, '--detail', '-o', 'json');
    expect(result.code).toBe(1);
    expect(onlyCheck(result.stdout).check.policyId).toBe('drydock-default-bundle');
    const stops = run('jq', ['-c', SEED_JQ_FILTER], result.stdout).trim().split('\n');
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatch(/port 22\/tcp is exposed/);
    expect((await evaluateWith(undefined, good)).code).toBe(0);
  });

  it('compares the image with the --base image, and refuses a base it cannot read', async () => {
    const onBase = await evaluateWith('base-bundle.json', bad, '--detail', '--base', base);
    expect(onBase.stderr).toBe('');
    expect(onBase.code).toBe(0);
    expect(onBase.stdout).toMatch(/^base_image +packages_added +npm package express .* warn +$/m);
    const noBase = await evaluateWith('base-bundle.json', bad, '--detail');
    expect(noBase.code).toBe(1);
    expect(noBase.stdout).toMatch(/^base_image +base_not_provided +.* stop +$/m);
    const otherBase = await evaluateWith('base-bundle.json', bad, '--detail', '--base', good);
    expect(otherBase.code).toBe(1);
    expect(otherBase.stdout).toMatch(/^base_image +not_built_on_base +.* stop +$/m);
    const missing = await evaluate(bad, '--base', join(work, 'no-such-base'));
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/no-such-base does not exist/);
  });

  it('refuses malformed bundles with exit 2, naming the policy, rule and parameter', async () => {
    const rule = (changes: Record<string, unknown>) => ({
      ...BUNDLE,
      policies: [
        {
          id: 'p1',
          version: '1_0',
          rules: [
            { id: 'r1', gate: 'always', trigger: 'always', action: 'STOP', params: [], ...changes },
          ],
        },
      ],
      mappings: [{ ...BUNDLE.mappings[2], policy_id: 'p1' }],
    });
    const cases: [string, unknown, RegExp][] = [
      ['gate', rule({ gate: 'nosuch' }), /policy p1 rule r1: unknown gate "nosuch"/],
      [
        'trigger',
        rule({ trigger: 'sometimes' }),
        /policy p1 rule r1: gate always has no trigger "sometimes"/,
      ],
      [
        'param',
        rule({ params: [{ name: 'bogus', value: '1' }] }),
        /policy p1 rule r1: trigger always\/always has no parameter "bogus"/,
      ],
      [
        'action',
        rule({ action: 'HALT' }),
        /policy p1 rule r1: action "HALT" is not STOP, WARN or GO/,
      ],
      [
        'mapping',
        { ...BUNDLE, mappings: [{ ...BUNDLE.mappings[2], policy_id: 'gone' }] },
        /mappings\[0\]: policy "gone" is not in the bundle/,
      ],
      ['json', '{"id": ', /bad-json\.json is not valid: not JSON/],
    ];
    const results = await Promise.all(
      cases.map(async ([name, bundle, message]) => {
        const file = join(work, `bad-${name}.json`);
        await writeFile(file, typeof bundle === 'string' ? bundle : JSON.stringify(bundle));
        const result = await runCli(['evaluate', bad, '--policy', file, '-q', '--no-cache'], work);
        return { name, message, result };
      }),
    );
    results.forEach(({ name, message, result }) => {
      expect(result.code, name).toBe(2);
      expect(result.stdout, name).toBe('');
      expect(result.stderr, name).toMatch(/^drydock: policy bundle .* is not valid: /);
      expect(result.stderr, name).toMatch(message);
    });
  });

  it('exits 2 when it cannot evaluate: no policy file, no mapping, a digest for a tag, a bad option', async () => {
    const noFile = await runCli(['evaluate', bad, '--policy', join(work, 'none.json'), '-q'], work);
    expect(noFile.stderr).toMatch(/none\.json cannot be read \(ENOENT\)/);
    const unmapped = join(work, 'unmapped.json');
    await writeFile(unmapped, JSON.stringify({ ...BUNDLE, mappings: [BUNDLE.mappings[1]] }));
    const noMapping = await runCli(
      ['evaluate', good, '--policy', unmapped, '-q', '--no-cache'],
      work,
    );
    expect(noMapping.stderr).toMatch(
      /no mapping of policy bundle drydock-test-bundle matches localhost\/good:good/,
    );
    const digest = await evaluate(good, '--tag', `alpine@${BAD.manifestDigest}`);
    expect(digest.stderr).toMatch(/names an image by digest only; give --tag/);
    const format = await evaluate(good, '-o', 'xml');
    expect(format.stderr).toMatch(/argument 'xml' is invalid/);
    for (const result of [noFile, noMapping, digest, format]) {
      expect(result.code, result.stderr).toBe(2);
      expect(result.stdout).toBe('');
    }
  });
});
