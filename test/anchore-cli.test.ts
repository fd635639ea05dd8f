/**
 * The unmodified anchore-cli drives the engine through the seeds' flows, once on SQLite and once
 * on PostgreSQL: a real registry with Basic auth, a passing and a failing image (the demo image,
 * port 22 exposed), the demo OSV feeds. The seeds' CI lines run as written with bash: the GitLab
 * on-prem job (reports written with --json, the exit status of `evaluate check`), the GitLab
 * integrated job (registry added with --skip-validate, its jq filters over the reports) and the
 * Codeship step; then policies, events, image ids, subscriptions that block a delete, a wrong
 * password, and `image vuln` on an image not analysed yet (exit 101, 100 while analysing).
 *
 * The tests of one backend are one flow and run in order: the registry credentials come first.
 *
 * anchore-cli's source comes from its git mirror at test time (test/harness/anchore-cli.ts).
 * Without the mirror these tests are skipped, and the skipped suite's name says why.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoImageSpec } from '../examples/demo-image/spec.js';
import {
  ANCHORE_CLI_MIRROR,
  anchoreCliAvailable,
  runAnchoreCli,
  runCiLine,
  type AnchoreCliEnv,
} from './harness/anchore-cli.js';
import type { CliRun } from './harness/cli.js';
import { ADMIN_PASSWORD, startTestEngine, type TestEngine } from './harness/engine.js';
import { buildImage } from './harness/image-builder.js';
import { startRegistry, type TestRegistry } from './harness/registry.js';

const ROOT = join(import.meta.dirname, '..');
const DEMO_OSV = join(ROOT, 'examples', 'demo-image', 'osv');
const DEFAULT_BUNDLE = join(ROOT, 'src', 'policy', 'default-bundle.json');
/** The GitLab integrated job logs in to its registry as this user, with the job's token. */
const CI_USER = 'gitlab-ci-token';
const CI_JOB_TOKEN = 'job-token-4711';

/** Passes the default bundle: a Debian package without known vulnerabilities, no port 22. */
const GOOD = buildImage({
  layers: [
    {
      entries: [
        { path: 'etc', type: 'dir' },
        {
          path: 'etc/os-release',
          content: 'ID=debian\nVERSION_ID="12"\nNAME="Debian GNU/Linux"\n',
        },
        {
          path: 'var/lib/dpkg/status',
          content:
            'Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4+deb12u5\n',
        },
      ],
    },
  ],
  config: { Cmd: ['/bin/true'], ExposedPorts: { '8080/tcp': {} } },
});
/** Fails it: the demo image exposes port 22. */
const BAD = buildImage(demoImageSpec);

/** The GitLab on-prem job's script, less its echo lines, exactly as the seed writes it. */
const ON_PREM_JOB = [
  'anchore-cli image add ${ANCHORE_SCAN_IMAGE}',
  'anchore-cli image wait ${ANCHORE_SCAN_IMAGE} --timeout ${ANCHORE_TIMEOUT}',
  'anchore-cli --json image content ${ANCHORE_SCAN_IMAGE} os > image-packages.json',
  'anchore-cli --json image content ${ANCHORE_SCAN_IMAGE} npm > image-npm.json',
  'anchore-cli --json image content ${ANCHORE_SCAN_IMAGE} gem > image-gem.json',
  'anchore-cli --json image content ${ANCHORE_SCAN_IMAGE} python > image-python.json',
  'anchore-cli --json image content ${ANCHORE_SCAN_IMAGE} java > image-java.json',
  'anchore-cli --json image vuln ${ANCHORE_SCAN_IMAGE} os > image-vulnerabilities.json',
  'anchore-cli --json image get ${ANCHORE_SCAN_IMAGE} > image-details.json',
  'anchore-cli --json evaluate check ${ANCHORE_SCAN_IMAGE} --detail > image-policy.json || true',
  'if [ "${ANCHORE_FAIL_ON_POLICY}" == "true" ] ; then anchore-cli evaluate check ${ANCHORE_SCAN_IMAGE}  ; fi',
];

/** The GitLab integrated job's lines that use anchore-cli and jq. */
const INTEGRATED_JOB = {
  registryAdd:
    'anchore-cli --u admin --p foobar registry add "$CI_REGISTRY" gitlab-ci-token "$CI_JOB_TOKEN" --skip-validate',
  check: `if [ "$ANCHORE_FAIL_ON_POLICY" == "true" ]; then
  anchore-cli evaluate check "$IMAGE_NAME"
else
  set +o pipefail
  anchore-cli evaluate check "$IMAGE_NAME" | tee /dev/null
fi`,
  packages:
    "jq '[.content | sort_by(.package) | .[] | {package: .package, version: .version}]' anchore-reports/image-content-os-report.json",
  vulnerabilities:
    "jq '[.vulnerabilities | group_by(.package) | .[] | {package: .[0].package, vuln: [.[].vuln]}]' anchore-reports/image-vuln-report.json",
};

/** The Codeship step's command, as the seed writes it inside `sh -c '…'`. */
const CODESHIP_STEP =
  'echo "Adding image to Anchore engine" && anchore-cli image add $ANCHORE_IMAGE_SCAN && echo "Waiting for image analysis to complete" && anchore-cli image wait $ANCHORE_IMAGE_SCAN && echo "Analysis complete" && if [ "$ANCHORE_FAIL_ON_POLICY" == "true" ] ; then anchore-cli evaluate check $ANCHORE_IMAGE_SCAN  ; fi';

interface ContentReport {
  imageDigest: string;
  content_type: string;
  content: { package: string; version: string; type: string; location?: string }[];
}
interface VulnReport {
  imageDigest: string;
  vulnerability_type: string;
  vulnerabilities: { vuln: string; package: string; package_name: string; fix: string }[];
}
interface ImageDetails {
  imageDigest: string;
  analysis_status: string;
  image_detail: { fulltag: string; imageId: string }[];
  image_content: { metadata: { distro: string; layer_count: number } };
}
type PolicyReport = Record<
  string,
  Record<string, { status: string; detail: { result: unknown; policy: { id: string } } }[]>
>[];

const SUITE = anchoreCliAvailable
  ? 'anchore-cli against the engine on %s'
  : `anchore-cli against the engine on %s — skipped: no anchore-cli mirror at ${ANCHORE_CLI_MIRROR} (set DRYDOCK_ANCHORE_CLI_MIRROR)`;

describe.skipIf(!anchoreCliAvailable).each(['sqlite', 'postgres'] as const)(SUITE, (backend) => {
  let registry: TestRegistry;
  let engine: TestEngine;
  let work: string;
  let env: AnchoreCliEnv;
  let goodTag: string;
  let badTag: string;
  const cli = (...args: string[]): Promise<CliRun> => runAnchoreCli(args, env);
  const json = async <T>(...args: string[]): Promise<T> => {
    const run = await cli('--json', ...args);
    expect(run.code, run.stdout).toBe(0);
    return JSON.parse(run.stdout) as T;
  };

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd', users: { [CI_USER]: CI_JOB_TOKEN } });
    await registry.push('team/app', 'good', GOOD);
    await registry.push('team/app', 'bad', BAD);
    goodTag = `${registry.host}/team/app:good`;
    badTag = `${registry.host}/team/app:bad`;
    engine = await startTestEngine({ backend, feeds: DEMO_OSV });
    env = cliEnv(engine);
    work = await mkdtemp(join(tmpdir(), 'drydock-anchore-cli-jobs-'));
  });

  afterAll(async () => {
    await engine.close();
    await registry.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('reports the system status, lists and syncs the feeds, lists the policies; a wrong password exits 2', async () => {
    const status = await cli('system', 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/Service apiext .*: up/);
    expect(status.stdout).toContain('Engine Code Version: test');
    const feeds = await cli('system', 'feeds', 'list');
    expect(feeds.code).toBe(0);
    expect(feeds.stdout).toMatch(/^Debian\s+Debian:12\s/m);
    expect(feeds.stdout).toMatch(/^npm\s+npm\s/m);
    // `feeds sync` asks for confirmation on its terminal.
    const sync = await runCiLine('echo y | anchore-cli system feeds sync', env, work);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toMatch(/^Debian\s+Debian:12\s+success\s/m);
    const policies = await cli('policy', 'list');
    expect(policies.stdout).toMatch(/^drydock-default-bundle\s+True\s/m);
    const wrong = await runAnchoreCli(['image', 'list'], { ...env, ANCHORE_CLI_PASS: 'wrong' });
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toContain('could not access anchore service');
  });

  it('stores registry credentials unvalidated with --skip-validate, and validates an update', async () => {
    const ciEnv = { ...env, CI_REGISTRY: registry.host, CI_JOB_TOKEN: 'not-the-token' };
    const added = await runCiLine(INTEGRATED_JOB.registryAdd, ciEnv, work);
    expect(added.code, added.stdout).toBe(0);
    expect(added.stdout).toContain(`Registry: ${registry.host}`);
    const refused = await cli('image', 'add', goodTag);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('cannot fetch image digest/manifest from registry');
    const wrongUpdate = await cli('registry', 'update', registry.host, CI_USER, 'still-wrong');
    expect(wrongUpdate.code).toBe(1);
    expect(wrongUpdate.stdout).toContain('cannot log in to registry');
    const update = await cli('registry', 'update', registry.host, CI_USER, CI_JOB_TOKEN);
    expect(update.code, update.stdout).toBe(0);
    const [record] = await json<{ registry_user: string; registry_pass: string }[]>(
      'registry',
      'get',
      registry.host,
    );
    expect(record).toMatchObject({ registry_user: CI_USER, registry_pass: '****' });
  });

  it.each([
    ['good', 'pass', 0],
    ['bad', 'fail', 1],
  ] as const)(
    'runs the GitLab on-prem job on the %s image: JSON reports, then evaluate check says %s',
    async (name, status, exitCode) => {
      const tag = name === 'good' ? goodTag : badTag;
      const image = name === 'good' ? GOOD : BAD;
      const dir = join(work, `on-prem-${name}`);
      await mkdir(dir);
      const jobEnv = {
        ...env,
        ANCHORE_CLI_SSL_VERIFY: 'false',
        ANCHORE_SCAN_IMAGE: tag,
        ANCHORE_TIMEOUT: '60',
        ANCHORE_FAIL_ON_POLICY: 'true',
      };
      const runs: CliRun[] = [];
      for (const line of ON_PREM_JOB) runs.push(await runCiLine(line, jobEnv, dir));
      const verdict = runs.pop();
      for (const [i, run] of runs.entries()) expect(run.code, ON_PREM_JOB[i]).toBe(0);
      expect(verdict?.code).toBe(exitCode);
      expect(verdict?.stdout).toContain(`Status: ${status}`);

      const report = async <T>(file: string): Promise<T> =>
        JSON.parse(await readFile(join(dir, file), 'utf8')) as T;
      const packages = await report<ContentReport>('image-packages.json');
      expect(packages).toMatchObject({ imageDigest: image.manifestDigest, content_type: 'os' });
      expect(packages.content.every((p) => p.type === 'dpkg')).toBe(true);
      for (const type of ['npm', 'gem', 'python', 'java'])
        expect(await report<ContentReport>(`image-${type}.json`)).toMatchObject({
          content_type: type,
          content: expect.any(Array) as unknown,
        });
      const vulns = await report<VulnReport>('image-vulnerabilities.json');
      expect(vulns.vulnerability_type).toBe('os');
      const [details] = await report<ImageDetails[]>('image-details.json');
      expect(details).toMatchObject({
        imageDigest: image.manifestDigest,
        analysis_status: 'analyzed',
        image_detail: [{ fulltag: tag, imageId: image.configDigest.replace('sha256:', '') }],
        image_content: { metadata: { distro: 'debian' } },
      });
      const policy = await report<PolicyReport>('image-policy.json');
      const check = policy[0]?.[image.manifestDigest]?.[tag]?.[0];
      expect(check?.status).toBe(status);
      expect(check?.detail.policy.id).toBe('drydock-default-bundle');

      if (name === 'good') {
        expect(packages.content.map((p) => p.package)).toEqual(['base-files']);
        expect(vulns.vulnerabilities).toEqual([]);
        return;
      }
      expect(packages.content.map((p) => p.package)).toContain('libc6');
      expect((await report<ContentReport>('image-npm.json')).content.map((p) => p.package)).toEqual(
        expect.arrayContaining(['express', 'ms']),
      );
      expect(
        (await report<ContentReport>('image-python.json')).content.map((p) => p.package),
      ).toEqual(['requests']);
      expect(vulns.vulnerabilities.map((v) => v.package_name)).toContain('libc6');
      expect(JSON.stringify(check?.detail.result)).toContain('exposed_ports');
    },
  );

  it('feeds the GitLab integrated job its reports: its jq filters and its evaluate step', async () => {
    const dir = join(work, 'integrated');
    await mkdir(join(dir, 'anchore-reports'), { recursive: true });
    const jobEnv = { ...env, IMAGE_NAME: badTag, ANCHORE_FAIL_ON_POLICY: 'false' };
    // What the job's `anchore_ci_tools --report` writes, with anchore-cli's --json.
    for (const [report, args] of [
      ['image-content-os-report.json', 'image content "$IMAGE_NAME" os'],
      ['image-vuln-report.json', 'image vuln "$IMAGE_NAME" os'],
    ])
      expect(
        (await runCiLine(`anchore-cli --json ${args} > anchore-reports/${report}`, jobEnv, dir))
          .code,
      ).toBe(0);
    const packages = await runCiLine(INTEGRATED_JOB.packages, jobEnv, dir);
    expect(packages.code, packages.stderr).toBe(0);
    expect(JSON.parse(packages.stdout)).toEqual([
      { package: 'base-files', version: '12.4+deb12u5' },
      { package: 'bash', version: '5.2.15-2+b2' },
      { package: 'libc6', version: '2.36-9+deb12u4' },
      { package: 'python3-requests', version: '2.28.1+dfsg-1' },
    ]);
    const vulns = await runCiLine(INTEGRATED_JOB.vulnerabilities, jobEnv, dir);
    expect(vulns.code, vulns.stderr).toBe(0);
    expect(JSON.parse(vulns.stdout)).toEqual([
      { package: 'libc6-2.36-9+deb12u4', vuln: ['CVE-2024-2961', 'DSA-5678-1'] },
    ]);
    const tolerated = await runCiLine(INTEGRATED_JOB.check, jobEnv, dir);
    expect(tolerated.code).toBe(0);
    expect(tolerated.stdout).toContain('Status: fail');
    const enforced = await runCiLine(
      INTEGRATED_JOB.check,
      { ...jobEnv, ANCHORE_FAIL_ON_POLICY: 'true' },
      dir,
    );
    expect(enforced.code).toBe(1);
  });

  it.each([
    ['good', 0],
    ['bad', 1],
  ] as const)('runs the Codeship step on the %s image: exit status %i', async (name, exitCode) => {
    const step = await runCiLine(
      CODESHIP_STEP,
      {
        ...env,
        ANCHORE_IMAGE_SCAN: name === 'good' ? goodTag : badTag,
        ANCHORE_FAIL_ON_POLICY: 'true',
      },
      work,
    );
    expect(step.code, step.stdout).toBe(exitCode);
    expect(step.stdout).toContain('Analysis complete');
  });

  it('adds and activates a policy bundle from a file, and evaluates with it', async () => {
    const bundle = JSON.parse(await readFile(DEFAULT_BUNDLE, 'utf8')) as {
      id: string;
      policies: { rules: { trigger: string; action: string }[] }[];
    };
    bundle.id = 'ssh-warns';
    for (const rule of bundle.policies.flatMap((p) => p.rules))
      if (rule.trigger === 'exposed_ports') rule.action = 'WARN';
    const file = join(work, 'ssh-warns.json');
    await writeFile(file, JSON.stringify(bundle));
    const added = await cli('policy', 'add', file);
    expect(added.code, added.stdout).toBe(0);
    expect(added.stdout).toContain('Policy ID: ssh-warns');
    expect((await cli('policy', 'activate', 'ssh-warns')).code).toBe(0);
    const list = await cli('policy', 'list');
    expect(list.stdout).toMatch(/^ssh-warns\s+True\s/m);
    expect(list.stdout).toMatch(/^drydock-default-bundle\s+False\s/m);
    expect((await cli('evaluate', 'check', badTag)).code).toBe(0);
    const named = await cli('evaluate', 'check', badTag, '--policy', 'drydock-default-bundle');
    expect(named.code).toBe(1);
    expect(named.stdout).toContain('Policy ID: drydock-default-bundle');
    expect((await cli('policy', 'activate', 'drydock-default-bundle')).code).toBe(0);
    expect((await cli('evaluate', 'check', badTag)).code).toBe(1);
  });

  it('lists images and events, and finds an image by its id', async () => {
    const images = await cli('image', 'list');
    expect(images.code).toBe(0);
    for (const [tag, image] of [
      [goodTag, GOOD],
      [badTag, BAD],
    ] as const)
      expect(rows(images.stdout)).toContainEqual([tag, image.manifestDigest, 'analyzed']);
    const events = await json<{ results: { event: { type: string; resource: { id: string } } }[] }>(
      'event',
      'list',
    );
    const completed = events.results.filter(
      (e) => e.event.type === 'user.image.analysis.completed',
    );
    expect(completed.map((e) => e.event.resource.id).sort()).toEqual(
      [GOOD.manifestDigest, BAD.manifestDigest].sort(),
    );
    expect((await cli('event', 'list')).stdout).toContain('user.image.analysis.completed');
    const imageId = BAD.configDigest.replace('sha256:', '');
    const content = await json<ContentReport>('image', 'content', imageId, 'os');
    expect(content.imageDigest).toBe(BAD.manifestDigest);
    expect((await cli('evaluate', 'check', imageId, '--tag', badTag)).code).toBe(1);
  });

  it('refuses to delete an image while a subscription to its tag is active', async () => {
    expect((await cli('subscription', 'activate', 'vuln_update', goodTag)).code).toBe(0);
    expect(rows((await cli('subscription', 'list')).stdout)).toContainEqual([
      goodTag,
      'vuln_update',
      'True',
    ]);
    const refused = await cli('image', 'del', goodTag);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('active subscription');
    // `image add` subscribed the tag to tag_update too; both must go.
    for (const type of ['vuln_update', 'tag_update'])
      expect((await cli('subscription', 'deactivate', type, goodTag)).code).toBe(0);
    const deleted = await cli('image', 'del', goodTag);
    expect(deleted.code, deleted.stdout).toBe(0);
    expect((await cli('image', 'get', goodTag)).code).toBe(1);
    expect((await cli('image', 'list')).stdout).not.toContain(goodTag);
  });

  it('answers image vuln on an image not analysed yet with 101, and 100 while it is analysed', async () => {
    const idle = await startTestEngine({ backend, workers: 0 });
    try {
      const idleEnv = cliEnv(idle);
      const idleCli = (...args: string[]): Promise<CliRun> => runAnchoreCli(args, idleEnv);
      expect((await idleCli('registry', 'add', registry.host, CI_USER, CI_JOB_TOKEN)).code).toBe(0);
      expect((await idleCli('image', 'add', badTag)).code).toBe(0);
      const queued = await idleCli('image', 'vuln', badTag, 'os');
      expect(queued.code).toBe(101);
      expect(queued.stdout).toContain('analysis_status: not_analyzed');
      // What a worker that took the job writes first.
      await idle.running.engine.db
        .updateTable('images')
        .set({ analysis_status: 'analyzing' })
        .where('image_digest', '=', BAD.manifestDigest)
        .execute();
      expect((await idleCli('image', 'vuln', badTag, 'os')).code).toBe(100);
      const wait = await idleCli('image', 'wait', badTag, '--timeout', '1', '--interval', '0.2');
      expect(wait.code).toBe(2);
      expect(wait.stdout).toContain('Status: analyzing');
      expect(wait.stdout).toContain('Timed-out waiting');
    } finally {
      await idle.close();
    }
  });
});

function cliEnv(engine: TestEngine): AnchoreCliEnv {
  return {
    ANCHORE_CLI_URL: engine.url,
    ANCHORE_CLI_USER: 'admin',
    ANCHORE_CLI_PASS: ADMIN_PASSWORD,
  };
}

/** anchore-cli's tables, one array of columns per line. */
const rows = (table: string): string[][] =>
  table
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/));
