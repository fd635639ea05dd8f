/**
 * drydock's own CLI as a client of the engine (`drydock image|registry|policy|subscription|
 * system|event …`, `drydock evaluate check`), run through the built binary against an engine
 * started in this process and the real registry with Basic auth. What anchore-cli prints is
 * checked against anchore-cli's own libraries: the tables against prettytable (PLAIN_COLUMNS),
 * `--json` against Python's json.dumps of the API's answer, `event get` against PyYAML; the exit
 * codes are anchore-cli's (0, 1 refused, 2 could not work, 101 not analysed yet).
 */
import {
  allowAllBundle,
  corruptibleImage,
  failingImage,
  passingImage,
} from './harness/gate-images.js';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnchoreContentResponse } from '../src/report/anchore-content.js';
import type { AnchoreImage } from '../src/report/anchore-image.js';
import type { AnchoreCheckResponse } from '../src/report/policy/anchore-check.js';
import type { AnchoreVulnerabilityResponse } from '../src/report/scan/anchore-json.js';
import { ensureBuilt, runCli, type CliRun } from './harness/cli.js';
import {
  ADMIN_PASSWORD,
  startTestEngine,
  type ApiClient,
  type TestEngine,
} from './harness/engine.js';
import { writeOciLayout } from './harness/image-builder.js';
import { prettytable, python, PYTHON_JSON } from './harness/python-oracle.js';
import { corruptBlob, startRegistry, TEST_USERS, type TestRegistry } from './harness/registry.js';
import { createSigningIdentity } from './harness/token-server.js';

const DEMO_OSV = join(import.meta.dirname, '..', 'examples', 'demo-image', 'osv');
const CLI_DOC = join(import.meta.dirname, '..', 'docs', 'cli.md');
const [REGISTRY_USER = '', REGISTRY_PASSWORD = ''] = Object.entries(TEST_USERS)[0] ?? [];
const WRONG_PASSWORD = 'not-the-password-4711';

const GOOD = passingImage();
/** The demo image: Debian, npm and Python packages with real OSV records, port 22 exposed. */
const BAD = failingImage();
/** An image of its own whose layer is corrupted in the registry: its analysis fails. */
const BROKEN = corruptibleImage();

/** anchore-cli's printers: json.dumps for --json, prettytable for tables, PyYAML for an event. */
const PYTHON_YAML =
  'import json,sys,yaml; print(yaml.safe_dump(json.load(sys.stdin), default_flow_style=False))';
/** anchore-cli prints an error's detail as Python's str() of it. */
const PYTHON_STR = 'import json,sys; print(str(json.load(sys.stdin)))';

/** What anchore-cli prints for a table: prettytable's text and print's newline. */
function table(head: string[], rows: unknown[][], sortBy: string | null, reverse = false) {
  return `${prettytable(head, rows, sortBy, reverse)}\n`;
}

describe('drydock as a client of the engine', () => {
  let registry: TestRegistry;
  let engine: TestEngine;
  let api: ApiClient;
  let home: string;
  let goodTag: string;
  let badTag: string;
  let brokenTag: string;

  /** The CLI as a CI job runs it: the engine and credentials in anchore-cli's variables. */
  const cli = (args: string[], env: Record<string, string> = {}, stdin = ''): Promise<CliRun> =>
    runCli(args, home, stdin, {
      ANCHORE_CLI_URL: engine.url,
      ANCHORE_CLI_USER: 'admin',
      ANCHORE_CLI_PASS: ADMIN_PASSWORD,
      ...env,
    });

  beforeAll(async () => {
    const built = ensureBuilt();
    registry = await startRegistry({ auth: 'htpasswd' });
    await registry.push('team/app', 'good', GOOD);
    await registry.push('team/app', 'bad', BAD);
    await registry.push('team/app', 'broken', BROKEN);
    await corruptBlob(registry, BROKEN.layerDigests[0] ?? '');
    goodTag = `${registry.host}/team/app:good`;
    badTag = `${registry.host}/team/app:bad`;
    brokenTag = `${registry.host}/team/app:broken`;
    engine = await startTestEngine({ backend: 'sqlite', feeds: DEMO_OSV });
    api = engine.client();
    home = await mkdtemp(join(tmpdir(), 'drydock-client-'));
    await built;
  }, 120_000);

  afterAll(async () => {
    await engine.close();
    await registry.stop();
    await rm(home, { recursive: true, force: true });
  });

  it('refuses bad credentials with anchore-cli’s message and exit 2, never printing a password', async () => {
    const refused = `could not access anchore service (user=admin url=${engine.url})`;
    const wrong = await cli(['image', 'list'], { ANCHORE_CLI_PASS: WRONG_PASSWORD });
    expect(wrong).toMatchObject({ code: 2, stdout: `Error: ${refused}\n\n` });
    expect(wrong.stderr).toContain('drydock: image list: could not access anchore service');
    const json = await cli(['image', 'list', '--json'], { ANCHORE_CLI_PASS: WRONG_PASSWORD });
    expect(json.code).toBe(2);
    expect(json.stdout).toBe(python(PYTHON_JSON, { message: refused }));
    for (const run of [wrong, json]) expect(run.stdout + run.stderr).not.toContain(WRONG_PASSWORD);
    // DRYDOCK_* wins over ANCHORE_CLI_*; options (before or after the subcommand) over both.
    const drydockVariables = await cli(['image', 'list'], {
      ANCHORE_CLI_PASS: WRONG_PASSWORD,
      ANCHORE_CLI_URL: 'http://127.0.0.1:9/v1',
      DRYDOCK_PASS: ADMIN_PASSWORD,
      DRYDOCK_URL: engine.url,
    });
    expect(drydockVariables.code).toBe(0);
    const options = await cli(
      ['image', '--u', 'admin', 'list', '--p', ADMIN_PASSWORD, '--url', engine.url],
      { ANCHORE_CLI_USER: 'nobody', ANCHORE_CLI_URL: 'http://127.0.0.1:9/v1' },
    );
    expect(options.code).toBe(0);
  });

  it('registry add logs in to check the credentials, unless --skip-validate', async () => {
    const refused = await cli(['registry', 'add', registry.host, REGISTRY_USER, WRONG_PASSWORD]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^Error: cannot log in to registry .*\nHTTP Code: 400\n/);
    const skipped = await cli([
      'registry',
      'add',
      registry.host,
      REGISTRY_USER,
      WRONG_PASSWORD,
      '--skip-validate',
    ]);
    expect(skipped.code).toBe(0);
    const stored = await api.get<{ created_at: string; last_updated: string }[]>('/registries');
    const [record] = stored.body;
    expect(skipped.stdout).toBe(
      `Registry: ${registry.host}\nName: ${registry.host}\nUser: ${REGISTRY_USER}\n` +
        `Type: docker_v2\nVerify TLS: True\nCreated: ${record?.created_at ?? ''}\n` +
        `Updated: ${record?.last_updated ?? ''}\n\n\n`,
    );
    // This --insecure is the registry's (registry_verify), not the engine connection's.
    const updated = await cli([
      'registry',
      'update',
      registry.host,
      REGISTRY_USER,
      REGISTRY_PASSWORD,
      '--insecure',
    ]);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain('\nVerify TLS: False\n');
    const list = await cli(['registry', 'list']);
    expect(list.stdout).toBe(
      table(
        ['Registry', 'Name', 'Type', 'User'],
        [[registry.host, registry.host, 'docker_v2', REGISTRY_USER]],
        'Registry',
      ),
    );
    for (const run of [refused, skipped, updated, list])
      expect(run.stdout + run.stderr).not.toMatch(
        new RegExp(`${WRONG_PASSWORD}|${REGISTRY_PASSWORD}`),
      );
  });

  it('adds images, waits for their analysis, and exits 1 when an analysis fails', async () => {
    const added = await cli(['image', 'add', goodTag]);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(new RegExp(`^Image Digest: ${GOOD.manifestDigest}\n`));
    expect(added.stdout).toContain(`\n\nFull Tag: ${goodTag}\n`);
    const annotations = ['--annotation', 'team=web', '--annotation', 'owner=Équipe'];
    expect((await cli(['image', 'add', badTag, ...annotations])).code).toBe(0);
    const malformed = await cli(['image', 'add', badTag, '--annotation', 'team']);
    expect(malformed).toMatchObject({
      code: 2,
      stdout:
        'Error: annotation format error - annotations must be of the form (--annotation key=value), found: team\n\n',
    });
    const polling = /^(Status: (not_analyzed|analyzing)\nWaiting 0\.2 seconds for next retry\.\n)*/;
    for (const tag of [goodTag, badTag]) {
      const waited = await cli(['image', 'wait', tag, '--interval', '0.2']);
      expect(waited.code).toBe(0);
      expect(waited.stdout.replace(polling, '')).toMatch(
        /^Image Digest: .*\nParent Digest: .*\nAnalysis Status: analyzed\n/,
      );
    }
    expect((await cli(['image', 'add', brokenTag])).code).toBe(0);
    const failed = await cli(['image', 'wait', brokenTag, '--interval', '0.2']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('\nAnalysis Status: analysis_failed\n');
    expect(failed.stderr).toBe(`drydock: image wait: the analysis of ${brokenTag} failed\n`);
  });

  it('shows an image and the image list as anchore-cli does', async () => {
    const [image] = (await api.get<AnchoreImage[]>(`/images/${BAD.manifestDigest}`)).body;
    if (image === undefined) throw new Error('the bad image is not stored');
    const [detail] = image.image_detail;
    const metadata = image.image_content.metadata;
    const get = await cli(['image', 'get', badTag]);
    expect(get.stdout).toBe(
      `Image Digest: ${BAD.manifestDigest}\nParent Digest: ${BAD.manifestDigest}\n` +
        `Analysis Status: analyzed\nImage Type: docker\nAnalyzed At: ${image.analyzed_at ?? ''}\n` +
        `Image ID: ${detail?.imageId ?? ''}\nDockerfile Mode: Guessed\nDistro: debian\n` +
        `Distro Version: 12\nSize: ${String(metadata?.image_size)}\nArchitecture: amd64\n` +
        `Layer Count: 3\nAnnotations: team=web, owner=Équipe\n\n` +
        `Full Tag: ${badTag}\nTag Detected At: ${detail?.tag_detected_at ?? ''}\n\n\n`,
    );
    expect((await cli(['image', 'get', BAD.manifestDigest])).stdout).toBe(get.stdout);
    const images = (await api.get<AnchoreImage[]>('/images')).body;
    const rows = images.flatMap((i) =>
      i.image_detail.map((d) => [
        `${d.registry}/${d.repo}:${d.tag}`,
        i.imageDigest,
        i.analysis_status,
        d.imageId,
      ]),
    );
    const head = ['Full Tag', 'Image Digest', 'Analysis Status'];
    expect((await cli(['image', 'list'])).stdout).toBe(
      table(
        head,
        rows.map((row) => row.slice(0, 3)),
        'Full Tag',
      ),
    );
    expect((await cli(['image', 'list', '--full'])).stdout).toBe(
      table([...head, 'Image ID'], rows, 'Full Tag'),
    );
  });

  it('prints content, metadata and vulnerabilities as anchore-cli does', async () => {
    const types = (await api.get<string[]>(`/images/${BAD.manifestDigest}/content`)).body;
    expect((await cli(['image', 'content', badTag])).stdout).toBe(
      `${types.map((t) => `${t}: available\n`).join('')}\n\n`,
    );
    const content = async (type: string) =>
      (await api.get<AnchoreContentResponse>(`/images/${BAD.manifestDigest}/content/${type}`)).body
        .content as unknown as Record<string, unknown>[];
    const os = await content('os');
    expect((await cli(['image', 'content', badTag, 'os'])).stdout).toBe(
      table(
        ['Package', 'Version', 'Licenses'],
        os.map((p) => [p.package, p.version, (p.licenses as string[]).join(' ')]),
        'Package',
      ),
    );
    for (const type of ['npm', 'python']) {
      const packages = await content(type);
      expect(packages.length).toBeGreaterThan(0);
      expect((await cli(['image', 'content', badTag, type])).stdout).toBe(
        table(
          ['Package', 'Version', 'Location'],
          packages.map((p) => [p.package, p.version, p.location]),
          'Package',
        ),
      );
    }
    const files = await content('files');
    expect((await cli(['image', 'content', badTag, 'files'])).stdout).toBe(
      table(
        ['Filename', 'Size'],
        files.map((f) => [f.filename, f.size]),
        'Size',
        true,
      ),
    );
    // An empty table is "no content": anchore-cli's error and exit 2.
    expect(await cli(['image', 'content', badTag, 'gem'])).toMatchObject({
      code: 2,
      stdout: `Error: There is no image content (gem) to provide for ${badTag}\n\n`,
    });
    for (const type of ['os', 'all']) {
      const { body } = await api.get<AnchoreVulnerabilityResponse>(
        `/images/${BAD.manifestDigest}/vuln/${type}`,
      );
      expect(body.vulnerabilities.length).toBeGreaterThan(0);
      const rows = body.vulnerabilities.map((v) => [
        v.vuln,
        v.package,
        v.severity,
        v.fix,
        v.nvd_data.map((n) => n.id).join(','),
        v.url,
        v.package_type,
        v.feed_group,
        v.package_path,
      ]);
      const head = ['Vulnerability ID', 'Package', 'Severity', 'Fix', 'CVE Refs'];
      expect((await cli(['image', 'vuln', badTag, type])).stdout).toBe(
        table(
          [...head, 'Vulnerability URL', 'Type', 'Feed Group', 'Package Path'],
          rows,
          'Severity',
        ),
      );
    }
    const dockerfile = await api.get<{ metadata: string }>(
      `/images/${BAD.manifestDigest}/metadata/dockerfile`,
    );
    const text = Buffer.from(dockerfile.body.metadata, 'base64').toString('utf8');
    expect(text).toMatch(/EXPOSE/);
    expect((await cli(['image', 'metadata', badTag, 'dockerfile'])).stdout).toBe(
      `Image Digest: ${BAD.manifestDigest}\nMetadata: ${text}\nMetadata Type: dockerfile\n\n`,
    );
  });

  it('--json prints the engine’s answer byte for byte as json.dumps does', async () => {
    const digest = BAD.manifestDigest;
    const cases: [string[], string][] = [
      [['image', 'get', badTag], `/images/${digest}`],
      [['image', 'content', badTag, 'os'], `/images/${digest}/content/os`],
      [['image', 'vuln', badTag, 'all'], `/images/${digest}/vuln/all`],
      [['image', 'metadata', badTag, 'manifest'], `/images/${digest}/metadata/manifest`],
      [['subscription', 'list'], '/subscriptions'],
      [['system', 'feeds', 'list'], '/system/feeds'],
    ];
    for (const [args, path] of cases) {
      const [run, answer] = await Promise.all([cli([...args, '--json']), api.get(path)]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(python(PYTHON_JSON, answer.body));
    }
    // Non-ASCII is escaped, as Python's ensure_ascii does.
    expect((await cli(['image', 'get', badTag, '--json'])).stdout).toContain('\\u00c9quipe');
    const missing = await cli(['image', 'get', `${registry.host}/team/app:none`, '--json']);
    expect(missing.code).toBe(1);
    const none = encodeURIComponent(`${registry.host}/team/app:none`);
    const refused = await api.get(`/images?fulltag=${none}&history=false`);
    expect(missing.stdout).toBe(python(PYTHON_JSON, refused.body));
  });

  it('evaluate check exits 0 on pass and 1 on fail; --detail prints the table; evaluate SOURCE still works', async () => {
    const pass = await cli(['evaluate', 'check', goodTag]);
    expect(pass.code).toBe(0);
    expect(pass.stdout).toMatch(
      new RegExp(
        `^Image Digest: ${GOOD.manifestDigest}\nFull Tag: ${goodTag}\nStatus: pass\n` +
          'Last Eval: \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\nPolicy ID: drydock-default-bundle\n\n$',
      ),
    );
    const fail = await cli(['evaluate', 'check', badTag, '--detail']);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toBe(`drydock: evaluate check: ${badTag} fails the policy evaluation\n`);
    const json = await cli(['evaluate', 'check', badTag, '--detail', '--json']);
    expect(json.code).toBe(1);
    expect(json.stdout).toBe(python(PYTHON_JSON, JSON.parse(json.stdout)));
    const check = (JSON.parse(json.stdout) as AnchoreCheckResponse)[0]?.[BAD.manifestDigest]?.[
      badTag
    ]?.[0];
    const result = check?.detail.result;
    if (check === undefined || result === undefined) throw new Error('no detailed check');
    const resultTable = result.result[result.image_id];
    const rows =
      typeof resultTable === 'object' && 'result' in resultTable ? resultTable.result.rows : [];
    expect(rows.some((row) => row[6] === 'stop')).toBe(true);
    const withoutLastEval = (text: string) => text.replace(/^Last Eval: .*$/m, 'Last Eval: -');
    expect(withoutLastEval(fail.stdout)).toBe(
      `Image Digest: ${BAD.manifestDigest}\nFull Tag: ${badTag}\nImage ID: ${result.image_id}\n` +
        `Status: fail\nLast Eval: -\nPolicy ID: ${check.policyId}\nFinal Action: stop\n` +
        `Final Action Reason: policy_evaluation\n\n` +
        table(
          ['Gate', 'Trigger', 'Detail', 'Status'],
          rows.map((row) => [row[3], row[4], row[5], row[6]]),
          null,
        ) +
        '\n',
    );
    expect(await cli(['evaluate', 'check', GOOD.manifestDigest])).toMatchObject({
      code: 2,
      stdout: 'Error: input image name is not a tag, and no --tag is specified\n\n',
    });
    expect((await cli(['evaluate', 'check', GOOD.manifestDigest, '--tag', goodTag])).code).toBe(0);
    // `drydock evaluate SOURCE`, drydock's own evaluation, with options `check` has too.
    const layout = join(home, 'good-layout');
    await writeOciLayout(layout, GOOD, 'good');
    const local = await cli(['evaluate', `oci-dir:${layout}`, '--detail', '--tag', 'x/y:1', '-q']);
    expect(local.code).toBe(0);
    expect(local.stdout).toMatch(/\nStatus: pass\n[^]*\nGap: /);
  });

  it('policy add, activate, get, list and del manage the bundles evaluations use', async () => {
    const bundle = allowAllBundle();
    const file = join(home, 'allow-all.json');
    await writeFile(file, JSON.stringify(bundle));
    const added = await cli(['policy', 'add', file]);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^Policy ID: allow-all\nActive: False\nSource: local\nCreated: /);
    expect(await cli(['policy', 'activate', 'allow-all'])).toMatchObject({
      code: 0,
      stdout: 'Success: allow-all activated\n',
    });
    expect((await cli(['evaluate', 'check', badTag])).code).toBe(0);
    const stored = await api.get<{ policybundle: unknown }[]>('/policies/allow-all?detail=true');
    const detail = await cli(['policy', 'get', 'allow-all', '--detail']);
    expect(detail.stdout).toBe(python(PYTHON_JSON, stored.body[0]?.policybundle));
    const policies = (
      await api.get<
        { policyId: string; active: boolean; created_at: string; last_updated: string }[]
      >('/policies')
    ).body;
    expect((await cli(['policy', 'list'])).stdout).toBe(
      table(
        ['Policy ID', 'Active', 'Created', 'Updated'],
        policies.map((p) => [
          p.policyId,
          p.active ? 'True' : 'False',
          p.created_at,
          p.last_updated,
        ]),
        'Active',
        true,
      ),
    );
    expect((await cli(['policy', 'del', 'allow-all'])).code).toBe(1);
    expect((await cli(['policy', 'activate', 'drydock-default-bundle'])).code).toBe(0);
    expect(await cli(['policy', 'del', 'allow-all'])).toMatchObject({
      code: 0,
      stdout: 'Success\n',
    });
  });

  it('an active subscription refuses the image delete until it is deactivated', async () => {
    const subscriptions = (
      await api.get<{ subscription_key: string; subscription_type: string; active: boolean }[]>(
        '/subscriptions',
      )
    ).body;
    expect((await cli(['subscription', 'list'])).stdout).toBe(
      table(
        ['Tag', 'Subscription Type', 'Active'],
        subscriptions.map((s) => [
          s.subscription_key,
          s.subscription_type,
          s.active ? 'True' : 'False',
        ]),
        'Tag',
      ),
    );
    expect(await cli(['subscription', 'activate', 'vuln_update', goodTag])).toMatchObject({
      code: 0,
      stdout: 'Success\n',
    });
    expect((await cli(['subscription', 'list', '--full'])).stdout).toMatch(
      new RegExp(`^${goodTag} +vuln_update +True +[0-9a-f]{32} +$`, 'm'),
    );
    const refused = await cli(['image', 'del', goodTag]);
    expect(refused.code).toBe(1);
    const answer = await api.request<{ message: string; detail: unknown }>(
      'DELETE',
      `/images/${GOOD.manifestDigest}`,
    );
    expect(refused.stdout).toBe(
      `Error: ${answer.body.message}\nHTTP Code: 409\nDetail: ${python(PYTHON_STR, answer.body.detail)}\n`,
    );
    expect(refused.stdout).toContain(`'subscription_type': 'tag_update'`);
    for (const type of ['tag_update', 'vuln_update'])
      expect((await cli(['subscription', 'deactivate', type, goodTag])).stdout).toBe('Success\n');
    expect(await cli(['subscription', 'activate', 'tag_update', `${goodTag}-none`])).toMatchObject({
      code: 2,
      stdout: expect.stringMatching(/^Error: cannot locate subscription record/) as string,
    });
    expect(await cli(['image', 'del', goodTag])).toMatchObject({ code: 0, stdout: 'Success\n' });
    expect((await cli(['image', 'get', goodTag])).code).toBe(1);
  });

  it('lists events, shows one as YAML, and reports the system as anchore-cli does', async () => {
    const events = (
      await api.get<{
        results: {
          generated_uuid: string;
          event: { timestamp: string; level: string; type: string; resource: { id: string } };
        }[];
      }>('/events')
    ).body.results;
    expect(events.map((e) => e.event.type)).toContain('user.image.analysis.completed');
    expect((await cli(['event', 'list'])).stdout).toBe(
      table(
        ['Timestamp', 'Level', 'Event', 'Resource', 'ID'],
        events.map(({ event, generated_uuid }) => [
          event.timestamp,
          event.level,
          event.type,
          event.resource.id,
          generated_uuid,
        ]),
        null,
      ),
    );
    const [first] = events;
    if (first === undefined) throw new Error('no events');
    const one = await api.get<{ event: unknown }>(`/events/${first.generated_uuid}`);
    expect((await cli(['event', 'get', first.generated_uuid])).stdout).toBe(
      python(PYTHON_YAML, one.body.event),
    );
    expect((await cli(['event', 'list', '--level', 'warn'])).code).toBe(2);
    const feeds = await cli(['system', 'feeds', 'list']);
    expect(feeds.stdout).toMatch(/^Feed +Group +LastSync +RecordCount +\n/);
    const status = await cli(['system', 'status']);
    expect(status.stdout).toMatch(/^Service analyzer \(.*\): up\nService apiext \(.*\): up\n\n/);
    expect(status.stdout).toMatch(/\nEngine DB Version: \S+\nEngine Code Version: test\n$/);
  });

  it('documents only commands and options their --help lists (docs/cli.md)', async () => {
    const section = (await readFile(CLI_DOC, 'utf8')).split('## Engine client commands')[1] ?? '';
    const block = /```\n([^]*?)```/.exec(section)?.[1] ?? '';
    const commands = block
      .split(/[\n;]/)
      .map((line) => line.trim().split(/\s+/).slice(1))
      .filter((words) => words.length > 0);
    const checks = commands.flatMap((words) => {
      const end = words.findIndex((word) => !/^[a-z][a-z|-]*$/.test(word));
      const options = words.flatMap((word) => /--[a-z][\w-]*/.exec(word)?.[0] ?? []);
      const paths = (end < 0 ? words : words.slice(0, end)).reduce<string[][]>(
        (prefixes, word) => prefixes.flatMap((p) => word.split('|').map((w) => [...p, w])),
        [[]],
      );
      return paths.map((path) => ({ path, options }));
    });
    expect(checks.length).toBeGreaterThan(25);
    await Promise.all(
      checks.map(async ({ path, options }) => {
        const help = await cli([...path, '--help']);
        expect(help.code, path.join(' ')).toBe(0);
        for (const option of options)
          expect(help.stdout, `${path.join(' ')} ${option}`).toMatch(
            new RegExp(`\n  (-\\w, )?${option}[ ,]`),
          );
      }),
    );
  });

  describe('with an engine over HTTPS (a self-signed certificate) whose analyses never start', () => {
    let idle: TestEngine;
    let certDir: string;
    /** anchore-cli's way to accept the certificate, the DRYDOCK_* twin of it. */
    const idleEnv = (): Record<string, string> => ({
      DRYDOCK_URL: idle.url,
      DRYDOCK_SSL_VERIFY: 'n',
    });

    beforeAll(async () => {
      certDir = await mkdtemp(join(tmpdir(), 'drydock-client-tls-'));
      const identity = await createSigningIdentity(certDir);
      const cert = await readFile(identity.certPath);
      const key = Buffer.from(identity.key.export({ type: 'pkcs8', format: 'pem' }));
      idle = await startTestEngine({ backend: 'sqlite', workers: 0, https: { key, cert } });
    });

    afterAll(async () => {
      await idle.close();
      await rm(certDir, { recursive: true, force: true });
    });

    it('checks the engine’s certificate unless --insecure or SSL_VERIFY=n says not to', async () => {
      const refused = await cli(['system', 'status'], { DRYDOCK_URL: idle.url });
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe(
        `Error: could not access anchore service (user=admin url=${idle.url})\n\n`,
      );
      expect(refused.stderr).toMatch(/TLS failed .*--insecure/);
      expect((await cli(['system', 'status', '--insecure'], { DRYDOCK_URL: idle.url })).code).toBe(
        0,
      );
      expect((await cli(['system', 'status'], idleEnv())).code).toBe(0);
    });

    it('image wait --timeout gives up with exit 2; image vuln exits 101', async () => {
      const credentials = [registry.host, REGISTRY_USER, REGISTRY_PASSWORD, '--skip-validate'];
      expect((await cli(['registry', 'add', ...credentials], idleEnv())).code).toBe(0);
      expect((await cli(['image', 'add', goodTag], idleEnv())).code).toBe(0);
      const waited = await cli(
        ['image', 'wait', goodTag, '--timeout', '1', '--interval', '0.3'],
        idleEnv(),
      );
      expect(waited.code).toBe(2);
      expect(waited.stdout).toMatch(
        /^Status: not_analyzed\nWaiting 0\.3 seconds for next retry\. Total timeout remaining: 0\n/,
      );
      expect(waited.stdout).toMatch(
        /\nError: Timed-out waiting for analyis status to reach terminal state \(analyzed or analysis_failed\)\n\n$/,
      );
      const vuln = await cli(['image', 'vuln', goodTag, 'os'], idleEnv());
      expect(vuln.code).toBe(101);
      expect(vuln.stdout).toMatch(/^Error: .*analysis_status: not_analyzed\nHTTP Code: 404\n/);
    });
  });
});
