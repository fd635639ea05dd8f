/**
 * `drydock ci` against a running engine, through the built CLI: an engine started in this
 * process with the demo's real OSV records, and the real registry with htpasswd auth, whose
 * credentials the engine holds (given with POST /registries, as the GitLab integrated job gives
 * them with `anchore-cli registry add`). The demo image exposing port 22 fails the engine's
 * active bundle, the same image without it passes; every report is the one the embedded mode
 * writes for the same image (run here too), but for the engine's times; a bundle given with
 * --policy is added and evaluated by; an Anchore Engine (the engine behind a proxy that answers
 * 404 for drydock's own route, as Anchore's API does) gives the Anchore reports and JUnit; the
 * wait ends at --timeout or ANCHORE_RETRIES (exit 3), a failed analysis is exit 4, and bad
 * credentials, an engine out of reach or an image it cannot pull are exit 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import defaultBundle from '../src/policy/default-bundle.json' with { type: 'json' };
import type { AnchoreCheckResponse } from '../src/report/policy/anchore-check.js';
import { expectSchemaValidReports, readJson } from './fixtures/ci/reports.js';
import { corruptibleImage, demoImageWithoutSsh, failingImage } from './harness/gate-images.js';
import { ensureBuilt, runCli, type CliRun } from './harness/cli.js';
import { ADMIN_PASSWORD, startTestEngine, type TestEngine } from './harness/engine.js';
import { corruptBlob, startRegistry, TEST_USERS, type TestRegistry } from './harness/registry.js';

const BAD = failingImage();
const GOOD = demoImageWithoutSsh();
const BROKEN = corruptibleImage();
const DEMO_OSV = join(import.meta.dirname, '..', 'examples', 'demo-image', 'osv');
/** The GitLab integrated job's `anchore_reports` stage, verbatim. */
const SEED_OS_JQ = '[.content | sort_by(.package) | .[] | {package: .package, version: .version}]';
const SEED_VULN_JQ =
  '[.vulnerabilities | group_by(.package) | .[] | {package: .[0].package, vuln: [.[].vuln]}]';
const [REGISTRY_USER = '', REGISTRY_PASSWORD = ''] = Object.entries(TEST_USERS)[0] ?? [];
const WRONG_PASSWORD = 'not-the-engine-password-4711';

const ANCHORE_REPORTS = [
  'image-content-os-report.json',
  'image-details.json',
  'image-gem.json',
  'image-java.json',
  'image-npm.json',
  'image-packages.json',
  'image-policy.json',
  'image-python.json',
  'image-vuln-report.json',
  'image-vulnerabilities.json',
];
const DRYDOCK_REPORTS = [
  'gl-container-scanning-report.json',
  'image-sbom.cdx.json',
  'image-vulnerabilities.sarif',
];
const JUNIT = 'image-policy.junit.xml';
const ALL_REPORTS = [...ANCHORE_REPORTS, ...DRYDOCK_REPORTS, JUNIT].sort();

let work: string;
let registry: TestRegistry;
let engine: TestEngine;
/** An engine with no worker: what is added to it is never analysed. */
let idle: TestEngine;
/** The engine as an Anchore Engine shows itself: without drydock's own route. */
let anchore: Server;
let anchoreUrl: string;

beforeAll(async () => {
  const built = ensureBuilt();
  work = await mkdtemp(join(tmpdir(), 'drydock-ci-engine-'));
  registry = await startRegistry({ auth: 'htpasswd' });
  await registry.push('ci/app', 'good', GOOD);
  await registry.push('ci/app', 'bad', BAD);
  await registry.push('ci/broken', '1', BROKEN);
  await corruptBlob(registry, BROKEN.layerDigests[0] ?? '');
  [engine, idle] = await Promise.all([
    startTestEngine({ feeds: DEMO_OSV }),
    startTestEngine({ workers: 0 }),
  ]);
  for (const each of [engine, idle]) {
    const added = await each.client().request('POST', '/registries', {
      registry: registry.host,
      registry_user: REGISTRY_USER,
      registry_pass: REGISTRY_PASSWORD,
      registry_type: 'docker_v2',
      registry_verify: false,
    });
    if (added.status !== 200) throw new Error(`registry add: HTTP ${String(added.status)}`);
  }
  ({ server: anchore, url: anchoreUrl } = await withoutDrydockRoutes(engine.url));
  await built;
}, 120_000);

afterAll(async () => {
  anchore.close();
  await Promise.all([engine.close(), idle.close()]);
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

/**
 * A proxy that forwards every request to `url` but those to drydock's own routes, which it
 * answers as Anchore Engine's API answers a route it does not have. No Anchore Engine runs here.
 */
async function withoutDrydockRoutes(url: string): Promise<{ server: Server; url: string }> {
  const upstream = new URL(url);
  const server = createServer((incoming, reply) => {
    if ((incoming.url ?? '').includes('/drydock/')) {
      reply.writeHead(404, { 'content-type': 'application/problem+json' });
      reply.end(
        JSON.stringify({
          detail: 'The requested URL was not found on the server.',
          status: 404,
          title: 'Not Found',
          type: 'about:blank',
        }),
      );
      return;
    }
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: incoming.url,
        method: incoming.method,
        headers: incoming.headers,
      },
      (answer) => {
        reply.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(reply);
      },
    );
    incoming.pipe(forwarded);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${String(port)}${upstream.pathname}` };
}

const ref = (repoTag: string): string => `${registry.host}/${repoTag}`;

/** `text` matched as it is, in a regular expression. */
const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `drydock ci` against the engine, its credentials in anchore-cli's variables; the record looked
 * at every 0.2 s unless `args` say otherwise.
 */
function ci(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const poll = args.includes('--poll-interval') ? [] : ['--poll-interval', '0.2'];
  return runCli(['ci', ...poll, ...args], work, '', {
    ANCHORE_CLI_URL: engine.url,
    ANCHORE_CLI_USER: 'admin',
    ANCHORE_CLI_PASS: ADMIN_PASSWORD,
    ...env,
  });
}

/** Exit code, nothing on stdout, and one line on stderr: `drydock: …`. */
function expectOneLineError(result: CliRun, code: number, pattern: RegExp): void {
  expect(result.stderr).toMatch(/^drydock: [^\n]*\n$/);
  expect(result.stderr).toMatch(pattern);
  expect(result.code, result.stderr).toBe(code);
  expect(result.stdout).toBe('');
}

function jq(expression: string, file: string): unknown {
  const result = spawnSync('jq', ['-c', expression, file], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

/** What differs between two runs by nature: the times, and a CycloneDX document's serial number. */
function timeless(text: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?/g, '<time>')
    .replace(/"(created_at|last_modified)": \d+/g, '"$1": "<time>"')
    .replace(/urn:uuid:[\da-f-]{36}/g, 'urn:uuid:<uuid>');
}

describe('drydock ci against an engine', () => {
  const reports = (name: string): string => join(work, name);
  /** The image exposing port 22, gated with --fail-on-policy: the reports the tests read. */
  let failed: CliRun;
  /** The same image gated embedded, for comparison. */
  let embedded: CliRun;

  beforeAll(async () => {
    const dbFile = join(work, 'demo.sqlite');
    const imported = await runCli(['db', 'import', DEMO_OSV, '--db-file', dbFile, '-q'], work);
    if (imported.code !== 0) throw new Error(`db import: ${imported.stderr}`);
    const auth = Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString('base64');
    const authFile = join(work, 'auth.json');
    await writeFile(authFile, JSON.stringify({ auths: { [registry.host]: { auth } } }));
    [failed, embedded] = await Promise.all([
      ci(['--image', ref('ci/app:bad'), '--fail-on-policy', '--report-dir', reports('bad')]),
      runCli(
        [
          'ci',
          '--image',
          ref('ci/app:bad'),
          '--db-file',
          dbFile,
          '--registry-auth-file',
          authFile,
          '--no-cache',
          '--report-dir',
          reports('embedded'),
          '-q',
        ],
        work,
      ),
    ]);
    if (embedded.code !== 0) throw new Error(`embedded run: ${embedded.stderr}`);
  }, 60_000);

  it('fails the image exposing port 22 (exit 1 with --fail-on-policy, else 0) and passes the other', async () => {
    const tag = ref('ci/app:bad');
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stderr).toMatch(
      new RegExp(
        `^drydock ci: adding ${escaped(tag)} to the engine\n` +
          '(drydock ci: analysis status: (not_analyzed|analyzing)\n)*' +
          'drydock ci: analysis status: analyzed\n' +
          'drydock ci: fetching the results\n' +
          `drydock ci: writing reports to ${escaped(reports('bad'))}\n` +
          `drydock: ${escaped(tag)} fails policy bundle drydock-default-bundle \\(policy_evaluation\\): 1 STOP result \\(--fail-on-policy\\)\n$`,
      ),
    );
    // The summary is read from the same documents as embedded, so it is the same.
    expect(failed.stdout).toBe(embedded.stdout);
    expect(failed.stdout).toMatch(/^ {2}STOP dockerfile\/exposed_ports: port 22\/tcp is exposed/m);

    const dockerfile = join(work, 'Dockerfile');
    await writeFile(dockerfile, 'FROM debian:12\r\nCOPY app/ /app/\r\nEXPOSE 8080\r\n');
    const [unenforced, passed] = await Promise.all([
      ci(['--image', tag, '--report-dir', reports('unenforced'), '-q']),
      ci(['--fail-on-policy', '--dockerfile', dockerfile, '--report-dir', reports('good'), '-q'], {
        ANCHORE_SCAN_IMAGE: ref('ci/app:good'),
        ANCHORE_TIMEOUT: '30',
      }),
    ]);
    expect(unenforced.code, unenforced.stderr).toBe(0);
    expect(unenforced.stdout).toBe(failed.stdout);
    expect(unenforced.stderr).toMatch(/fails policy bundle .*; not enforced: exit 0/);
    expect(passed.code, passed.stderr).toBe(0);
    expect(passed.stderr).toBe('');
    expect(passed.stdout).toMatch(
      /^Policy: {10}pass \(bundle drydock-default-bundle: 0 STOP results, 3 WARN results\)\n$/m,
    );
    // The Dockerfile as anchore-cli image add --dockerfile sends it: read as text, base64.
    const [details] = await readJson<
      {
        image_content: { metadata: { dockerfile_mode: string } };
        image_detail: { dockerfile: string }[];
      }[]
    >(reports('good'), 'image-details.json');
    expect(details?.image_content.metadata.dockerfile_mode).toBe('Actual');
    expect(Buffer.from(details?.image_detail[0]?.dockerfile ?? '', 'base64').toString()).toBe(
      'FROM debian:12\nCOPY app/ /app/\nEXPOSE 8080\n',
    );
  });

  it('writes every report the embedded mode writes, the same but for the times', async () => {
    const engineDir = reports('bad');
    const embeddedDir = reports('embedded');
    expect((await readdir(engineDir)).sort()).toEqual(ALL_REPORTS);
    expect((await readdir(embeddedDir)).sort()).toEqual(ALL_REPORTS);
    const text = async (dir: string, name: string) =>
      timeless(await readFile(join(dir, name), 'utf8'));
    for (const name of ALL_REPORTS.filter((n) => n !== 'image-details.json' && n !== JUNIT))
      expect(await text(engineDir, name), name).toBe(await text(embeddedDir, name));

    // The embedded record carries the Dockerfile it rebuilt from the history; an engine, as
    // Anchore's, only one it was given (both say Guessed).
    type Details = { image_detail: { dockerfile: string | null }[] }[];
    const withoutDockerfile = async (dir: string) => {
      const details = JSON.parse(await text(dir, 'image-details.json')) as Details;
      for (const detail of details.flatMap((image) => image.image_detail)) detail.dockerfile = null;
      return details;
    };
    expect(await withoutDockerfile(engineDir)).toEqual(await withoutDockerfile(embeddedDir));

    // The engine's check names the rule of a row only where the bundle leaves no doubt: the
    // default bundle has two WARN rules on vulnerabilities/package.
    const junit = async (dir: string) => (await text(dir, JUNIT)).replace(/^Rule ID: .*\n/gm, '');
    expect(await junit(engineDir)).toBe(await junit(embeddedDir));
    expect(await text(engineDir, JUNIT)).toMatch(/^Rule ID: ssh-port-exposed$/m);
  });

  it('writes SARIF, CycloneDX and GitLab reports their schemas accept', async () => {
    const dir = reports('bad');
    const report = await expectSchemaValidReports(dir);
    expect(report.vulnerabilities).toHaveLength(4);
  });

  it('gives the GitLab seed’s jq stage what it prints', () => {
    const dir = reports('bad');
    expect(jq(SEED_OS_JQ, join(dir, 'image-content-os-report.json'))).toEqual([
      { package: 'base-files', version: '12.4+deb12u5' },
      { package: 'bash', version: '5.2.15-2+b2' },
      { package: 'libc6', version: '2.36-9+deb12u4' },
      { package: 'python3-requests', version: '2.28.1+dfsg-1' },
    ]);
    expect(jq(SEED_VULN_JQ, join(dir, 'image-vuln-report.json'))).toEqual([
      { package: 'express-4.17.1', vuln: ['GHSA-qw6h-vgh9-j6wx', 'GHSA-rv95-896h-c2vc'] },
      { package: 'libc6-2.36-9+deb12u4', vuln: ['CVE-2024-2961', 'DSA-5678-1'] },
    ]);
  });

  it('adds the bundle --policy names and evaluates by it; the active bundle stays', async () => {
    const bundle = structuredClone(defaultBundle);
    bundle.id = 'ci-allows-ssh';
    for (const policy of bundle.policies)
      policy.rules = policy.rules.filter((rule) => rule.id !== 'ssh-port-exposed');
    const file = join(work, 'ci-allows-ssh.json');
    await writeFile(file, JSON.stringify(bundle));
    const dir = reports('policy');
    const result = await ci([
      '--image',
      ref('ci/app:bad'),
      '--policy',
      file,
      '--fail-on-policy',
      '--report-dir',
      dir,
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /^drydock ci: adding policy bundle ci-allows-ssh to the engine\n/,
    );
    expect(result.stdout).toMatch(/^Policy: {10}pass \(bundle ci-allows-ssh: /m);
    const check = await readJson<AnchoreCheckResponse>(dir, 'image-policy.json');
    expect(check[0]?.[BAD.manifestDigest]?.[ref('ci/app:bad')]?.[0]?.policyId).toBe(
      'ci-allows-ssh',
    );
    const policies = await engine
      .client()
      .get<{ policyId: string; active: boolean }[]>('/policies');
    expect(policies.body.map(({ policyId, active }) => [policyId, active])).toEqual([
      ['drydock-default-bundle', true],
      ['ci-allows-ssh', false],
    ]);
  });

  it('writes the Anchore reports and JUnit from an Anchore Engine, and says which it cannot', async () => {
    const dir = reports('anchore');
    const result = await ci(['--image', ref('ci/app:bad'), '--report-dir', dir], {
      ANCHORE_CLI_URL: anchoreUrl,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(failed.stdout);
    for (const name of DRYDOCK_REPORTS)
      expect(result.stderr).toContain(
        `drydock ci: warning: ${name} not written: it is made from drydock's own analysis of the image, and the engine serves only Anchore's documents\n`,
      );
    expect((await readdir(dir)).sort()).toEqual([...ANCHORE_REPORTS, JUNIT].sort());
    for (const name of [...ANCHORE_REPORTS, JUNIT])
      expect(timeless(await readFile(join(dir, name), 'utf8')), name).toBe(
        timeless(await readFile(join(reports('bad'), name), 'utf8')),
      );
  });
});

describe('drydock ci against an engine, when it cannot gate', () => {
  /** A run that stops before its reports: it must leave no report directory behind. */
  async function ciWithoutReports(
    name: string,
    args: string[],
    env: Record<string, string> = {},
  ): Promise<CliRun> {
    const dir = join(work, `no-reports-${name}`);
    const result = await ci([...args, '--report-dir', dir, '-q'], env);
    await expect(readdir(dir), name).rejects.toMatchObject({ code: 'ENOENT' });
    return result;
  }

  it('exits 3 when the analysis has not ended within --timeout, or ANCHORE_RETRIES polls', async () => {
    const image = ref('ci/app:good');
    const onIdle = { ANCHORE_CLI_URL: idle.url };
    const [timedOut, outOfPolls] = await Promise.all([
      ciWithoutReports('timeout', ['--image', image, '--timeout', '1'], onIdle),
      ciWithoutReports('retries', ['--image', image, '--poll-interval', '0.1'], {
        ...onIdle,
        ANCHORE_RETRIES: '2',
      }),
    ]);
    expectOneLineError(
      timedOut,
      3,
      new RegExp(
        `the engine had not analysed ${escaped(image)} within 1 s \\(--timeout, ANCHORE_TIMEOUT\\); its analysis status is not_analyzed`,
      ),
    );
    expectOneLineError(
      outOfPolls,
      3,
      /had not analysed .* after 2 polls 0\.1 s apart \(--retries, ANCHORE_RETRIES\)/,
    );
  });

  it('exits 4 when the engine reports the analysis failed', async () => {
    const result = await ciWithoutReports('failed', ['--image', ref('ci/broken:1')]);
    expectOneLineError(
      result,
      4,
      new RegExp(
        `the engine's analysis of ${escaped(ref('ci/broken:1'))} \\(${BROKEN.manifestDigest}\\) failed; .*event list`,
      ),
    );
  });

  it('exits 2 for a wrong engine password, an engine out of reach, an image it cannot pull', async () => {
    const image = ['--image', ref('ci/app:good')];
    const [wrong, unreachable, unknown] = await Promise.all([
      ciWithoutReports('password', image, { ANCHORE_CLI_PASS: WRONG_PASSWORD }),
      ciWithoutReports('unreachable', image, { ANCHORE_CLI_URL: 'http://127.0.0.1:9/v1' }),
      ciWithoutReports('unknown', ['--image', ref('ci/nope:1')]),
    ]);
    expectOneLineError(
      wrong,
      2,
      new RegExp(
        `could not access anchore service \\(user=admin url=${escaped(engine.url)}\\): the engine answered HTTP 401`,
      ),
    );
    expect(wrong.stderr).not.toContain(WRONG_PASSWORD);
    expectOneLineError(
      unreachable,
      2,
      /could not access anchore service .*cannot reach the engine 127\.0\.0\.1:9/,
    );
    expectOneLineError(
      unknown,
      2,
      new RegExp(`adding ${escaped(ref('ci/nope:1'))} to the engine failed: .*\\(HTTP 400\\)`),
    );
  });

  it('exits 2 for an option of the other mode, and an image the engine cannot pull from a registry', async () => {
    const image = ['--image', ref('ci/app:good')];
    const [db, pollEmbedded, directory, digest] = await Promise.all([
      ciWithoutReports('db', [...image, '--db-file', join(work, 'demo.sqlite')]),
      ciWithoutReports('poll', [...image, '--poll-interval', '1'], { ANCHORE_CLI_URL: '' }),
      ciWithoutReports('dir', ['--image', `dir:${work}`]),
      ciWithoutReports('digest', ['--image', `${ref('ci/app')}@${GOOD.manifestDigest}`]),
    ]);
    expectOneLineError(
      db,
      2,
      /ci --db-file: against an engine \(--url, DRYDOCK_URL or ANCHORE_CLI_URL\)/,
    );
    expectOneLineError(
      pollEmbedded,
      2,
      /ci --poll-interval: it applies against an engine: give --url/,
    );
    expectOneLineError(
      directory,
      2,
      /is not in a registry, and the engine pulls the images it gates/,
    );
    expectOneLineError(digest, 2, /names a digest, and the engine analyses what a tag names/);
  });
});
