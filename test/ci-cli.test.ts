/**
 * `drydock ci` end to end through the built CLI, against the real registry (htpasswd auth, the
 * credentials in the Docker config a CI job mounts) and the demo's real OSV records, carried as
 * an offline bundle: the demo image exposing port 22 fails the shipped bundle, the same image
 * without it passes; exit codes with and without --fail-on-policy and the seeds' environment
 * variables; every report file, each in the shape anchore-cli --json prints (checked against
 * Python's json.dumps, as anchore-cli prints, and read with the GitLab seed's jq expressions),
 * SARIF, CycloneDX and GitLab reports against their schemas; bad input, a corrupt layer and a
 * registry that never answers, each with its exit code and one line.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnchoreImage } from '../src/report/anchore-image.js';
import type { AnchoreContentResponse } from '../src/report/anchore-content.js';
import type { AnchoreCheckResponse } from '../src/report/policy/anchore-check.js';
import type { AnchoreVulnerabilityResponse } from '../src/report/scan/anchore-json.js';
import { expectSchemaValidReports, readJson } from './fixtures/ci/reports.js';
import { corruptibleImage, demoImageWithoutSsh, failingImage } from './harness/gate-images.js';
import { PYTHON_JSON } from './harness/python-oracle.js';
import { ensureBuilt, runCli, type CliRun } from './harness/cli.js';
import type { BuiltImage } from './harness/image-builder.js';
import { corruptBlob, startRegistry, TEST_USERS, type TestRegistry } from './harness/registry.js';

const BAD = failingImage();
const GOOD = demoImageWithoutSsh();
const BROKEN = corruptibleImage();
const DEMO_OSV = join(import.meta.dirname, '..', 'examples', 'demo-image', 'osv');

/** The GitLab integrated job's `anchore_reports` stage, verbatim. */
const SEED_OS_JQ = '[.content | sort_by(.package) | .[] | {package: .package, version: .version}]';
const SEED_VULN_JQ =
  '[.vulnerabilities | group_by(.package) | .[] | {package: .[0].package, vuln: [.[].vuln]}]';

const REPORT_FILES = [
  'gl-container-scanning-report.json',
  'image-content-os-report.json',
  'image-details.json',
  'image-gem.json',
  'image-java.json',
  'image-npm.json',
  'image-packages.json',
  'image-policy.json',
  'image-policy.junit.xml',
  'image-python.json',
  'image-sbom.cdx.json',
  'image-vuln-report.json',
  'image-vulnerabilities.json',
  'image-vulnerabilities.sarif',
];

const [USER = '', PASSWORD = ''] = Object.entries(TEST_USERS)[0] ?? [];

let work: string;
let registry: TestRegistry;
/** The offline bundle (`db export`) of the demo's records, and a database already holding them. */
let bundle: string;
let dbFile: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'drydock-ci-'));
  registry = await startRegistry({ auth: 'htpasswd' });
  await registry.push('ci/app', 'good', GOOD);
  await registry.push('ci/app', 'bad', BAD);
  await registry.push('ci/broken', '1', BROKEN);
  await corruptBlob(registry, BROKEN.layerDigests[0] ?? '');
  // The credentials a CI job mounts, in the default Docker config of the job's home.
  const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  await mkdir(join(work, '.docker'));
  await writeFile(
    join(work, '.docker', 'config.json'),
    JSON.stringify({ auths: { [registry.host]: { auth } } }),
  );
  await ensureBuilt();
  dbFile = join(work, 'demo.sqlite');
  bundle = join(work, 'demo-vulndb.gz');
  for (const args of [
    ['db', 'import', DEMO_OSV, '--db-file', dbFile, '-q'],
    ['db', 'export', bundle, '--db-file', dbFile, '-q'],
  ]) {
    const result = await runCli(args, work);
    if (result.code !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  }
}, 120_000);

afterAll(async () => {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

const ref = (repoTag: string): string => `${registry.host}/${repoTag}`;

/** `drydock ci` with the demo database unless `args` names another. */
function ci(args: string[], env: Record<string, string> = {}, stdin = ''): Promise<CliRun> {
  const db = args.includes('--db-file') ? [] : ['--db-file', dbFile];
  return runCli(['ci', '--no-cache', ...db, ...args], work, stdin, env);
}

function run(command: string, args: string[], input: string): string {
  const result = spawnSync(command, args, { input, encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`${command} failed: ${result.stderr || String(result.error)}`);
  return result.stdout;
}

/** The sum of the layer blobs' sizes: what a registry stores, Anchore's image_size. */
function storedSize(image: BuiltImage): number {
  return image.layerDigests.reduce(
    (sum, digest) => sum + (image.blobs.get(digest)?.length ?? 0),
    0,
  );
}

/** Exit code, nothing on stdout, and one line on stderr: `drydock: …`. */
function expectOneLineError(result: CliRun, code: number, pattern: RegExp): void {
  expect(result.stderr).toMatch(/^drydock: [^\n]*\n$/);
  expect(result.stderr).toMatch(pattern);
  expect(result.code, result.stderr).toBe(code);
  expect(result.stdout).toBe('');
}

describe('drydock ci', () => {
  const badReports = (): string => join(work, 'bad-reports');
  /** The image exposing port 22, gated with --fail-on-policy: the reports the tests read. */
  let failed: CliRun;

  beforeAll(async () => {
    failed = await ci([
      '--image',
      ref('ci/app:bad'),
      '--fail-on-policy',
      '--report-dir',
      badReports(),
      '-q',
    ]);
  });

  it('passes the image without port 22 and fails the one with it; --fail-on-policy makes that exit 1', async () => {
    const dockerfile = join(work, 'Dockerfile');
    await writeFile(dockerfile, 'FROM debian:12\nCOPY app/ /app/\nEXPOSE 8080\n');
    // Default report dir (in the working directory), a fresh database filled from the bundle.
    const passed = await ci([
      '--image',
      ref('ci/app:good'),
      '--fail-on-policy',
      '--db',
      bundle,
      '--db-file',
      join(work, 'fresh.sqlite'),
      '--dockerfile',
      dockerfile,
    ]);
    expect(passed.code, passed.stderr).toBe(0);
    expect(passed.stderr).toMatch(
      new RegExp(
        `^drydock ci: importing the vulnerability bundle ${bundle}\n` +
          `drydock ci: analysing ${ref('ci/app:good')}\n` +
          '(layer \\d/3 .*\n){3}' +
          'drydock ci: matching\n' +
          'drydock ci: evaluating\n' +
          'drydock ci: writing reports to anchore-reports\n$',
      ),
    );
    expect(passed.stdout).toBe(
      `Image:           ${ref('ci/app:good')}\n` +
        `Digest:          ${GOOD.manifestDigest}\n` +
        'Packages:        8 (os 4, npm 3, python 1)\n' +
        'Vulnerabilities: 4 (Medium 2, Unknown 2)\n' +
        'Policy:          pass (bundle drydock-default-bundle: 0 STOP results, 3 WARN results)\n',
    );
    const details = await readJson<AnchoreImage[]>(
      join(work, 'anchore-reports'),
      'image-details.json',
    );
    expect(details[0]?.image_content.metadata?.dockerfile_mode).toBe('Actual');
    expect(details[0]?.image_detail[0]?.dockerfile).toBe(
      (await readFile(dockerfile)).toString('base64'),
    );

    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(
      `drydock: ${ref('ci/app:bad')} fails policy bundle drydock-default-bundle (policy_evaluation): 1 STOP result (--fail-on-policy)\n`,
    );
    expect(failed.stdout).toMatch(
      /^Policy: {10}fail \(bundle drydock-default-bundle: 1 STOP result, 3 WARN results\)\n {2}STOP dockerfile\/exposed_ports: port 22\/tcp is exposed .*\n$/m,
    );

    const unenforced = await ci([
      '--image',
      ref('ci/app:bad'),
      '--report-dir',
      join(work, 'r2'),
      '-q',
    ]);
    expect(unenforced.code).toBe(0);
    expect(unenforced.stdout).toBe(failed.stdout);
    expect(unenforced.stderr).toMatch(/fails policy bundle .*; not enforced: exit 0/);
  });

  it('takes the image and whether the verdict is enforced from the seeds’ variables', async () => {
    const env = (name: string, vars: Record<string, string>) =>
      ci(['--report-dir', join(work, `env-${name}`), '-q'], vars);
    const [enforced, relaxed, firstWins, invalid, none] = await Promise.all([
      env('enforced', { ANCHORE_SCAN_IMAGE: ref('ci/app:bad'), ANCHORE_FAIL_ON_POLICY: 'true' }),
      env('relaxed', { ANCHORE_IMAGE_SCAN: ref('ci/app:bad'), ANCHORE_FAIL_ON_POLICY: 'false' }),
      env('first-wins', {
        ANCHORE_SCAN_IMAGE: ref('ci/app:bad'),
        IMAGE_NAME: ref('ci/app:good'),
        ANCHORE_FAIL_ON_POLICY: 'TRUE',
      }),
      env('invalid', { IMAGE_NAME: ref('ci/app:good'), ANCHORE_FAIL_ON_POLICY: 'yes' }),
      env('none', {}),
    ]);
    expect(enforced.code, enforced.stderr).toBe(1);
    expect(relaxed.code, relaxed.stderr).toBe(0);
    expect(relaxed.stdout).toMatch(/^Policy: {10}fail /m);
    expect(firstWins.code).toBe(1);
    expect(firstWins.stdout).toMatch(/^Image: +.*\/ci\/app:bad$/m);
    expectOneLineError(invalid, 2, /ANCHORE_FAIL_ON_POLICY must be true or false, not "yes"/);
    expectOneLineError(
      none,
      2,
      /no image to gate: give --image SOURCE or set ANCHORE_SCAN_IMAGE, ANCHORE_IMAGE_SCAN, IMAGE_NAME/,
    );
  });

  it('writes every report and nothing else, each in the JSON anchore-cli --json prints', async () => {
    const dir = badReports();
    expect((await readdir(dir)).sort()).toEqual(REPORT_FILES);
    for (const name of REPORT_FILES.filter((file) => file.endsWith('.json'))) {
      const text = await readFile(join(dir, name), 'utf8');
      if (name.startsWith('image-') && !name.includes('.cdx.'))
        expect(text, name).toBe(run('/usr/bin/python3', ['-c', PYTHON_JSON], text));
    }

    const [image] = await readJson<AnchoreImage[]>(dir, 'image-details.json');
    const time = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) as unknown;
    const imageId = BAD.configDigest.replace('sha256:', '');
    expect(image).toEqual({
      analysis_status: 'analyzed',
      analyzed_at: time,
      annotations: {},
      created_at: time,
      imageDigest: BAD.manifestDigest,
      image_content: {
        metadata: {
          arch: 'amd64',
          distro: 'debian',
          distro_version: '12',
          dockerfile_mode: 'Guessed',
          image_size: storedSize(BAD),
          layer_count: 3,
        },
      },
      image_detail: [
        {
          created_at: time,
          digest: BAD.manifestDigest,
          dockerfile: expect.any(String) as unknown,
          fulldigest: `${registry.host}/ci/app@${BAD.manifestDigest}`,
          fulltag: `${registry.host}/ci/app:bad`,
          imageDigest: BAD.manifestDigest,
          imageId,
          last_updated: time,
          registry: registry.host,
          repo: 'ci/app',
          tag: 'bad',
          tag_detected_at: time,
          userId: 'admin',
        },
      ],
      image_status: 'active',
      image_type: 'docker',
      last_updated: time,
      parentDigest: BAD.manifestDigest,
      userId: 'admin',
    });
    const dockerfile = Buffer.from(image?.image_detail[0]?.dockerfile ?? '', 'base64').toString();
    expect(dockerfile).toMatch(/^EXPOSE 22\/tcp 8080\/tcp$/m);

    const content = async (name: string) => readJson<AnchoreContentResponse>(dir, name);
    const types = await Promise.all(
      [
        'image-packages.json',
        'image-npm.json',
        'image-gem.json',
        'image-python.json',
        'image-java.json',
      ].map(async (name) => {
        const doc = await content(name);
        expect(doc.imageDigest).toBe(BAD.manifestDigest);
        return [
          doc.content_type,
          doc.content.map((entry) => ('package' in entry ? entry.package : '')).sort(),
        ];
      }),
    );
    expect(Object.fromEntries(types)).toEqual({
      os: ['base-files', 'bash', 'libc6', 'python3-requests'],
      npm: ['demo-app', 'express', 'ms'],
      gem: [],
      python: ['requests'],
      java: [],
    });
    expect(await content('image-content-os-report.json')).toEqual(
      await content('image-packages.json'),
    );

    const vulns = async (name: string) => readJson<AnchoreVulnerabilityResponse>(dir, name);
    const os = await vulns('image-vulnerabilities.json');
    expect(os.vulnerability_type).toBe('os');
    expect(os.vulnerabilities.map((v) => `${v.package} ${v.vuln} ${v.feed_group}`)).toEqual([
      'libc6-2.36-9+deb12u4 CVE-2024-2961 debian:12',
      'libc6-2.36-9+deb12u4 DSA-5678-1 debian:12',
    ]);
    const all = await vulns('image-vuln-report.json');
    expect(all.vulnerability_type).toBe('all');
    expect(all.vulnerabilities).toHaveLength(4);

    const check = await readJson<AnchoreCheckResponse>(dir, 'image-policy.json');
    const tagged = check[0]?.[BAD.manifestDigest]?.[`${registry.host}/ci/app:bad`];
    expect(tagged).toMatchObject([
      {
        policyId: 'drydock-default-bundle',
        status: 'fail',
        detail: { result: { final_action: 'stop', image_id: imageId } },
      },
    ]);
  });

  it('gives the GitLab seed’s jq stage what it prints', () => {
    const dir = badReports();
    const packages = run('jq', ['-c', SEED_OS_JQ, join(dir, 'image-content-os-report.json')], '');
    expect(JSON.parse(packages)).toEqual([
      { package: 'base-files', version: '12.4+deb12u5' },
      { package: 'bash', version: '5.2.15-2+b2' },
      { package: 'libc6', version: '2.36-9+deb12u4' },
      { package: 'python3-requests', version: '2.28.1+dfsg-1' },
    ]);
    const vulns = run('jq', ['-c', SEED_VULN_JQ, join(dir, 'image-vuln-report.json')], '');
    expect(JSON.parse(vulns)).toEqual([
      { package: 'express-4.17.1', vuln: ['GHSA-qw6h-vgh9-j6wx', 'GHSA-rv95-896h-c2vc'] },
      { package: 'libc6-2.36-9+deb12u4', vuln: ['CVE-2024-2961', 'DSA-5678-1'] },
    ]);
  });

  it('writes SARIF, CycloneDX and GitLab reports their schemas accept, and JUnit with the STOP as a failure', async () => {
    const dir = badReports();
    const report = await expectSchemaValidReports(dir);
    expect(report.vulnerabilities).toHaveLength(4);
    const junit = await readFile(join(dir, 'image-policy.junit.xml'), 'utf8');
    expect(junit).toMatch(/<failure message="port 22\/tcp is exposed[^"]*" type="STOP">/);
  });

  it('never prints the registry password', () => {
    expect(failed.stdout + failed.stderr).not.toContain(PASSWORD);
  });
});

describe('drydock ci on bad input', () => {
  /** A run that stops before its reports: it must leave no report directory behind. */
  async function ciWithoutReports(name: string, args: string[], stdin = ''): Promise<CliRun> {
    const dir = join(work, `no-reports-${name}`);
    const result = await ci([...args, '--report-dir', dir], {}, stdin);
    await expect(readdir(dir), name).rejects.toMatchObject({ code: 'ENOENT' });
    return result;
  }

  it('exits 2 for an unknown image, a wrong password, a bad policy or bundle, no vulnerability data', async () => {
    const policy = join(work, 'broken-policy.json');
    await writeFile(policy, '{"id": ');
    const notBundle = join(work, 'not-a-bundle.gz');
    await writeFile(notBundle, 'plain text, not gzip');
    const wrongPassword = 'not-the-password';
    const good = ['--image', ref('ci/app:good'), '-q'];
    const [unknown, unauthorized, badPolicy, badBundle, noData] = await Promise.all([
      ciWithoutReports('unknown', ['--image', ref('ci/nope:1'), '-q']),
      ciWithoutReports(
        'unauthorized',
        [...good, '--username', USER, '--password-stdin'],
        `${wrongPassword}\n`,
      ),
      ciWithoutReports('policy', [...good, '--policy', policy]),
      ciWithoutReports('bundle', [...good, '--db', notBundle, '--db-file', join(work, 'x.sqlite')]),
      ciWithoutReports('data', [...good, '--db-file', join(work, 'empty', 'none.sqlite')]),
    ]);
    expectOneLineError(unknown, 2, /ci\/nope.* not found/);
    expectOneLineError(unauthorized, 2, /authentication failed/);
    expect(unauthorized.stderr).not.toContain(wrongPassword);
    expectOneLineError(badPolicy, 2, /policy bundle .*broken-policy\.json is not valid: not JSON/);
    expectOneLineError(badBundle, 2, /not-a-bundle\.gz is not a drydock vulnerability bundle/);
    expectOneLineError(noData, 2, /no vulnerability data in .*none\.sqlite.* give --db BUNDLE/);
  });

  it('exits 4 when a layer is corrupt', async () => {
    const result = await ciWithoutReports('corrupt', ['--image', ref('ci/broken:1'), '-q']);
    expectOneLineError(result, 4, new RegExp(`${BROKEN.layerDigests[0] ?? ''}.*does not match`));
  });

  it('exits 3 when the registry accepts the connection and never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((listening) => silent.listen(0, '127.0.0.1', listening));
    const { port } = silent.address() as AddressInfo;
    try {
      const image = `127.0.0.1:${port}/ci/app:good`;
      const result = await ci(
        ['--image', image, '-q', '--report-dir', join(work, 'no-reports-timeout')],
        {
          ANCHORE_TIMEOUT: '1',
        },
      );
      expectOneLineError(
        result,
        3,
        new RegExp(`pulling and analysing ${image} did not finish within 1 s`),
      );
      expect(sockets.size).toBeGreaterThan(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('documents its exit codes in --help', async () => {
    const help = await runCli(['ci', '--help'], work);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(
      /^Exit codes:\n {2}0 .*\n {2}1 .*--fail-on-policy\n {2}2 .*\n(.*\n)* {2}3 .*--timeout\n {2}4 .*corrupt layer/m,
    );
  });
});
