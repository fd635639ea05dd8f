/**
 * The engine's API end to end, once on SQLite and once on PostgreSQL: a real registry with Basic
 * auth, images built and pushed by the tests, the credentials stored with `registries`, analyses
 * run by the in-process worker, content, vulnerabilities, policy checks, subscriptions blocking
 * deletes, feed syncs re-matching stored images, and accounts that never see each other's data.
 */
import {
  allowAllBundle,
  corruptibleImage,
  failingImage,
  passingImage,
} from './harness/gate-images.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corruptBlob, startRegistry, TEST_USERS, type TestRegistry } from './harness/registry.js';
import { importFeeds, startTestEngine, type ApiClient, type TestEngine } from './harness/engine.js';
import { join } from 'node:path';

const DEMO_OSV = join(import.meta.dirname, '..', 'examples', 'demo-image', 'osv');
const [REGISTRY_USER = '', REGISTRY_PASSWORD = ''] = Object.entries(TEST_USERS)[0] ?? [];

const GOOD = passingImage();
const BAD = failingImage();
/** Its layer is corrupted in the registry after the push. */
const BROKEN = corruptibleImage();

interface ImageRecord {
  imageDigest: string;
  analysis_status: string;
  image_detail: { fulltag: string }[];
  image_content: { metadata: { distro: string; layer_count: number } | null };
}
interface ApiError {
  message: string;
  httpcode: number;
  detail: unknown;
}

describe.each(['sqlite', 'postgres'] as const)('engine API on %s', (backend) => {
  let registry: TestRegistry;
  let engine: TestEngine;
  let admin: ApiClient;
  let goodTag: string;
  let badTag: string;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd' });
    await registry.push('team/app', 'good', GOOD);
    await registry.push('team/app', 'bad', BAD);
    await registry.push('team/broken', '1', BROKEN);
    await corruptBlob(registry, BROKEN.layerDigests[0] ?? '');
    goodTag = `${registry.host}/team/app:good`;
    badTag = `${registry.host}/team/app:bad`;
    engine = await startTestEngine({ backend });
    admin = engine.client();
  }, 120_000);

  afterAll(async () => {
    await engine.close();
    await registry.stop();
  });

  it('answers without credentials only for health, version and the API description', async () => {
    const anonymous = await fetch(`${engine.url}/images`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ httpcode: 401, message: 'Unauthorized' });
    const wrong = await engine.client('admin', 'wrong').get<ApiError>('/images');
    expect(wrong.status).toBe(401);
    const root = engine.url.replace(/\/v1$/, '');
    expect((await fetch(`${root}/health`)).status).toBe(200);
    const swagger = (await (await fetch(`${root}/swagger.json`)).json()) as {
      info: { version: string };
      paths: Record<string, unknown>;
    };
    expect(swagger.info.version).toBe('0.1.20');
    expect(Object.keys(swagger.paths)).toContain('/images/{imageDigest}/vuln/{vtype}');
  });

  it('refuses an image from a registry it has no credentials for, and wrong credentials', async () => {
    const refused = await admin.request<ApiError>('POST', '/images', { tag: goodTag });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/cannot fetch image digest\/manifest from registry/);
    const wrong = await admin.request<ApiError>('POST', '/registries?validate=true', {
      registry: registry.host,
      registry_user: REGISTRY_USER,
      registry_pass: 'not-the-password',
      registry_type: 'docker_v2',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toMatch(/cannot log in to registry/);
    expect((await admin.get<unknown[]>('/registries')).body).toEqual([]);
  });

  it('stores registry credentials sealed and never returns the password', async () => {
    const added = await admin.request<Record<string, unknown>[]>('POST', '/registries', {
      registry: registry.host,
      registry_user: REGISTRY_USER,
      registry_pass: REGISTRY_PASSWORD,
      registry_type: 'docker_v2',
      registry_verify: false,
    });
    expect(added.status).toBe(200);
    expect(added.body[0]).toMatchObject({ registry: registry.host, registry_pass: '****' });
    const stored = await engine.running.engine.db
      .selectFrom('registries')
      .select('registry_pass')
      .executeTakeFirstOrThrow();
    expect(stored.registry_pass).not.toContain(REGISTRY_PASSWORD);
    expect(engine.running.engine.secrets.open(stored.registry_pass)).toBe(REGISTRY_PASSWORD);
    const again = await admin.request('POST', '/registries', {
      registry: registry.host,
      registry_user: REGISTRY_USER,
      registry_pass: REGISTRY_PASSWORD,
    });
    expect(again.status).toBe(409);
  });

  it('queues, analyses and lists images; adding a tag again changes nothing', async () => {
    const good = await admin.request<ImageRecord[]>('POST', '/images', { tag: goodTag });
    expect(good.status).toBe(200);
    expect(good.body[0]?.analysis_status).toMatch(/not_analyzed|analyzing/);
    const bad = await admin.request<ImageRecord[]>('POST', '/images', {
      tag: badTag,
      annotations: { team: 'web' },
    });
    expect(bad.body[0]?.imageDigest).toBe(BAD.manifestDigest);
    expect(await admin.waitForAnalysis(GOOD.manifestDigest)).toBe('analyzed');
    expect(await admin.waitForAnalysis(BAD.manifestDigest)).toBe('analyzed');
    const repeat = await admin.request<ImageRecord[]>('POST', '/images', { tag: badTag });
    expect(repeat.body[0]?.analysis_status).toBe('analyzed');
    const list = await admin.get<ImageRecord[]>('/images');
    expect(list.body.map((i) => i.analysis_status)).toEqual(['analyzed', 'analyzed']);
    const plain = await fetch(`${engine.url}/images`, {
      headers: {
        authorization: `Basic ${Buffer.from('admin:foobar').toString('base64')}`,
        'accept-encoding': 'identity',
      },
    });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(((await plain.json()) as unknown[]).length).toBe(2);
    expect(list.body.map((i) => i.imageDigest).sort()).toEqual(
      [GOOD.manifestDigest, BAD.manifestDigest].sort(),
    );
    const byTag = await admin.get<ImageRecord[]>(`/images?fulltag=${encodeURIComponent(badTag)}`);
    expect(byTag.body).toHaveLength(1);
    expect(byTag.body[0]).toMatchObject({
      imageDigest: BAD.manifestDigest,
      annotations: { team: 'web' },
      image_content: { metadata: { distro: 'debian', layer_count: 3 } },
    });
    const events = await admin.get<{ results: { event: { type: string } }[] }>('/events');
    expect(
      events.body.results.filter((e) => e.event.type === 'user.image.analysis.completed'),
    ).toHaveLength(2);
  }, 120_000);

  it('marks an image whose layer is corrupt analysis_failed, with the reason in an event', async () => {
    const added = await admin.request('POST', '/images', { tag: `${registry.host}/team/broken:1` });
    expect(added.status).toBe(200);
    expect(await admin.waitForAnalysis(BROKEN.manifestDigest)).toBe('analysis_failed');
    const content = await admin.get<ApiError>(`/images/${BROKEN.manifestDigest}/content/os`);
    expect(content.status).toBe(404);
    expect(content.body.message).toMatch(/analysis_status: analysis_failed/);
    const events = await admin.get<{
      results: { event: { message: string; resource: { id: string } } }[];
    }>('/events?event_type=user.image.analysis.failed');
    expect(events.body.results.map((e) => e.event.resource.id)).toEqual([BROKEN.manifestDigest]);
    expect(events.body.results[0]?.event.message).toMatch(/digest|corrupt/i);
    const deleted = await admin.request('DELETE', `/images/${BROKEN.manifestDigest}?force=true`);
    expect(deleted.status).toBe(200);
  });

  it('serves content, metadata and vulnerabilities of an analysed image', async () => {
    const types = await admin.get<string[]>(`/images/${BAD.manifestDigest}/content`);
    expect(types.body).toEqual(expect.arrayContaining(['os', 'npm', 'python', 'files']));
    const os = await admin.get<{ content: { package: string }[]; content_type: string }>(
      `/images/${BAD.manifestDigest}/content/os`,
    );
    expect(os.body.content_type).toBe('os');
    expect(os.body.content.map((p) => p.package)).toContain('bash');
    const dockerfile = await admin.get<{ metadata: string }>(
      `/images/${BAD.manifestDigest}/metadata/dockerfile`,
    );
    expect(Buffer.from(dockerfile.body.metadata, 'base64').toString()).toMatch(/EXPOSE/);
    const manifest = await admin.get<{ metadata: string }>(
      `/images/${BAD.manifestDigest}/metadata/manifest`,
    );
    expect(JSON.parse(Buffer.from(manifest.body.metadata, 'base64').toString())).toHaveProperty(
      'layers',
    );
    const missing = await admin.get<ApiError>(`/images/${BAD.manifestDigest}/content/nothing`);
    expect(missing.status).toBe(404);
    const whole = await admin.get<{ analysis: { metadata: { manifestDigest: string } } }>(
      `/images/${BAD.manifestDigest}/drydock/analysis`,
    );
    expect(whole.body.analysis.metadata.manifestDigest).toBe(BAD.manifestDigest);
    const forced = await admin.request<(ImageRecord & { analyzed_at: string | null })[]>(
      'POST',
      '/images?force=true',
      { tag: goodTag },
    );
    expect(forced.body[0]).toMatchObject({ analyzed_at: null, image_content: { metadata: null } });
    expect(await admin.waitForAnalysis(GOOD.manifestDigest)).toBe('analyzed');
  });

  it('re-matches stored analyses when the feeds sync, and records the change for vuln_update', async () => {
    const before = await admin.get<{ vulnerabilities: unknown[] }>(
      `/images/${BAD.manifestDigest}/vuln/all`,
    );
    expect(before.body.vulnerabilities).toEqual([]);
    const subscription = await admin.get<{ subscription_id: string }[]>(
      `/subscriptions?subscription_type=vuln_update&subscription_key=${encodeURIComponent(badTag)}`,
    );
    const id = subscription.body[0]?.subscription_id ?? '';
    expect((await admin.request('PUT', `/subscriptions/${id}`, { active: true })).status).toBe(200);
    await importFeeds(engine.dataDir, DEMO_OSV);
    expect((await admin.request('POST', '/system/feeds')).status).toBe(200);
    const after = await admin.get<{ vulnerabilities: { package_name: string; vuln: string }[] }>(
      `/images/${BAD.manifestDigest}/vuln/os`,
    );
    expect(after.body.vulnerabilities.length).toBeGreaterThan(0);
    const all = await admin.get<{ vulnerabilities: unknown[] }>(
      `/images/${BAD.manifestDigest}/vuln/all`,
    );
    expect(all.body.vulnerabilities.length).toBeGreaterThan(after.body.vulnerabilities.length);
    const events = await admin.get<{
      results: { event: { type: string; resource: { id: string } } }[];
    }>('/events?event_type=user.image.vulnerabilities.*');
    expect(events.body.results.map((e) => e.event.resource.id)).toEqual([BAD.manifestDigest]);
    const feeds = await admin.get<{ name: string }[]>('/system/feeds');
    expect(feeds.body.map((f) => f.name)).toContain('Debian');
  });

  it('finds images by package and by vulnerability, and vulnerabilities by id', async () => {
    type Images = {
      images: { image: { digest: string; tag_history: { pullstring: string }[] } }[];
    };
    const byPackage = await admin.get<Images>('/query/images/by_package?name=bash');
    expect(byPackage.body.images.map((i) => i.image.digest)).toEqual([BAD.manifestDigest]);
    expect(byPackage.body.images[0]?.image.tag_history.map((t) => t.pullstring)).toEqual([badTag]);
    expect(
      (await admin.get<Images>('/query/images/by_package?name=no-such-package')).body.images,
    ).toEqual([]);
    const vulns = await admin.get<{ vulnerabilities: { vuln: string; package_name: string }[] }>(
      `/images/${BAD.manifestDigest}/vuln/os`,
    );
    const first = vulns.body.vulnerabilities[0];
    const byVuln = await admin.get<
      Images & { images: { affected_packages: { name: string }[] }[] }
    >(`/query/images/by_vulnerability?vulnerability_id=${first?.vuln ?? ''}`);
    expect(byVuln.body.images.map((i) => i.image.digest)).toEqual([BAD.manifestDigest]);
    expect(byVuln.body.images[0]?.affected_packages.map((p) => p.name)).toContain(
      first?.package_name,
    );
    expect((await admin.get<ApiError>('/query/images/by_vulnerability')).status).toBe(400);
    const records = await admin.get<{ vulnerabilities: { id: string }[] }>(
      `/query/vulnerabilities?id=${first?.vuln ?? ''}`,
    );
    expect(records.body.vulnerabilities.map((v) => v.id)).toContain(first?.vuln);
  });

  it('leaves out the findings of a feed group an admin turned off, from the next sync', async () => {
    const group = encodeURIComponent('Debian:12');
    const off = await admin.request<{ name: string; enabled: boolean }>(
      'PUT',
      `/system/feeds/Debian/${group}?enabled=false`,
    );
    expect(off.body).toMatchObject({ name: 'Debian:12', enabled: false });
    const listed =
      await admin.get<{ name: string; groups: { name: string; enabled: boolean }[] }[]>(
        '/system/feeds',
      );
    expect(
      listed.body.find((f) => f.name === 'Debian')?.groups.find((g) => g.name === 'Debian:12')
        ?.enabled,
    ).toBe(false);
    await admin.request('POST', '/system/feeds');
    const os = `/images/${BAD.manifestDigest}/vuln/os`;
    expect((await admin.get<{ vulnerabilities: unknown[] }>(os)).body.vulnerabilities).toEqual([]);
    await admin.request('PUT', `/system/feeds/Debian/${group}?enabled=true`);
    await admin.request('POST', '/system/feeds');
    expect(
      (await admin.get<{ vulnerabilities: unknown[] }>(os)).body.vulnerabilities.length,
    ).toBeGreaterThan(0);
    expect((await admin.request('PUT', '/system/feeds/NoSuchFeed?enabled=false')).status).toBe(404);
  });

  it('evaluates images against the active bundle: the bad one fails, the good one passes', async () => {
    type Check = Record<
      string,
      Record<string, { status: string; detail: { result?: { final_action: string } } }[]>
    >[];
    const bad = await admin.get<Check>(
      `/images/${BAD.manifestDigest}/check?tag=${encodeURIComponent(badTag)}&detail=true`,
    );
    expect(bad.status).toBe(200);
    const badCheck = bad.body[0]?.[BAD.manifestDigest]?.[badTag]?.[0];
    expect(badCheck?.status).toBe('fail');
    expect(badCheck?.detail.result?.final_action).toBe('stop');
    const good = await admin.get<Check>(
      `/images/${GOOD.manifestDigest}/check?tag=${encodeURIComponent(goodTag)}`,
    );
    expect(good.body[0]?.[GOOD.manifestDigest]?.[goodTag]?.[0]).toMatchObject({
      status: 'pass',
      detail: {},
    });
    const wrongTag = await admin.get<ApiError>(
      `/images/${GOOD.manifestDigest}/check?tag=${encodeURIComponent(badTag)}`,
    );
    expect(wrongTag.status).toBe(404);
  });

  it('keeps one active bundle and refuses to delete it', async () => {
    const bundle = allowAllBundle();
    expect((await admin.request('POST', '/policies', bundle)).status).toBe(200);
    const malformed = await admin.request<ApiError>('POST', '/policies', { id: 'x' });
    expect(malformed.status).toBe(400);
    const record =
      (await admin.get<Record<string, unknown>[]>('/policies/allow-all')).body[0] ?? {};
    expect(
      (await admin.request('PUT', '/policies/allow-all', { ...record, active: true })).status,
    ).toBe(200);
    const policies = await admin.get<{ policyId: string; active: boolean }[]>('/policies');
    expect(policies.body.filter((p) => p.active).map((p) => p.policyId)).toEqual(['allow-all']);
    expect((await admin.request('DELETE', '/policies/allow-all')).status).toBe(409);
    expect((await admin.request('DELETE', '/policies/drydock-default-bundle')).status).toBe(200);
    type Check = Record<string, Record<string, { status: string }[]>>[];
    const now = await admin.get<Check>(
      `/images/${BAD.manifestDigest}/check?tag=${encodeURIComponent(badTag)}`,
    );
    expect(now.body[0]?.[BAD.manifestDigest]?.[badTag]?.[0]?.status).toBe('pass');
  });

  it('keeps accounts apart: another account sees, evaluates and deletes none of admin’s data', async () => {
    expect((await admin.request('POST', '/accounts', { name: 'team-b' })).status).toBe(200);
    expect(
      (
        await admin.request('POST', '/accounts/team-b/users', {
          username: 'bob',
          password: 'bob-secret',
        })
      ).status,
    ).toBe(200);
    const bob = engine.client('bob', 'bob-secret');
    expect((await bob.get('/images')).body).toEqual([]);
    expect((await bob.get('/registries')).body).toEqual([]);
    expect((await bob.get<{ results: unknown[] }>('/events')).body.results).toEqual([]);
    expect((await bob.get(`/images/${BAD.manifestDigest}`)).status).toBe(404);
    expect((await bob.get(`/images/${BAD.manifestDigest}/content/os`)).status).toBe(404);
    expect(
      (await bob.get<{ images: unknown[] }>('/query/images/by_package?name=bash')).body.images,
    ).toEqual([]);
    expect(
      (await bob.get(`/images/${BAD.manifestDigest}/check?tag=${encodeURIComponent(badTag)}`))
        .status,
    ).toBe(404);
    expect((await bob.request('DELETE', `/images/${BAD.manifestDigest}?force=true`)).status).toBe(
      404,
    );
    expect(
      (await bob.get<{ policyId: string }[]>('/policies')).body.map((p) => p.policyId),
    ).toEqual(['drydock-default-bundle']);
    expect((await bob.get('/accounts')).status).toBe(403);
    expect((await bob.request('PUT', '/system/feeds/Debian?enabled=false')).status).toBe(403);
    expect((await engine.client('bob', 'bob-secret', 'admin').get('/images')).status).toBe(403);
    const actingAsBob = engine.client('admin', 'foobar', 'team-b');
    expect((await actingAsBob.get('/images')).body).toEqual([]);
    expect((await admin.get(`/images/${BAD.manifestDigest}`)).status).toBe(200);
  });

  it('refuses to delete an image while its tag has an active subscription', async () => {
    const refused = await admin.request<ApiError>('DELETE', `/images/${GOOD.manifestDigest}`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/active subscription/);
    const subscriptions = await admin.get<{ subscription_id: string; active: boolean }[]>(
      `/subscriptions?subscription_key=${encodeURIComponent(goodTag)}`,
    );
    for (const s of subscriptions.body.filter((x) => x.active))
      await admin.request('PUT', `/subscriptions/${s.subscription_id}`, { active: false });
    const deleted = await admin.request<{ status: string }>(
      'DELETE',
      `/images/${GOOD.manifestDigest}`,
    );
    expect(deleted.body.status).toBe('deleting');
    expect((await admin.get(`/images/${GOOD.manifestDigest}`)).status).toBe(404);
  });
});
