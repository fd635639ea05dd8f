/**
 * What every part of the engine shares: the database, the key that seals registry passwords,
 * the drydock config (limits, mirrors, insecure registries), where the vulnerability database
 * and the layer cache live, and how to wake the analysis workers after queueing work.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { DrydockConfig } from '../config/config.js';
import type { CredentialStore } from '../model/index.js';
import { canonicalRegistryHost } from '../reference/reference.js';
import { chainStores, staticStore } from '../source/registry/credentials.js';
import type { SecretBox } from './secret-box.js';
import type { WebhookNotifier } from './webhooks.js';
import { nowText, type EngineDb } from './store/schema.js';

export interface Engine {
  db: EngineDb;
  secrets: SecretBox;
  config: DrydockConfig;
  dataDir: string;
  /** This process, as events and leases name it: `host:pid:random`. */
  hostId: string;
  /** Called after an image is queued; the in-process workers (if any) look for work at once. */
  wake: () => void;
  /** Delivers events to the configured webhook, if any. */
  webhooks?: WebhookNotifier;
}

export const vulnDbFile = (engine: Pick<Engine, 'dataDir'>): string =>
  join(engine.dataDir, 'vulndb.sqlite');
export const layerCacheDir = (engine: Pick<Engine, 'dataDir'>): string =>
  join(engine.dataDir, 'cache');

export const newHostId = (): string =>
  `${hostname()}:${String(process.pid)}:${randomUUID().slice(0, 8)}`;

/** The credentials an account stored for registries (`registry add`), as the puller reads them. */
export async function accountCredentials(
  engine: Engine,
  account: string,
): Promise<(registry: string) => CredentialStore> {
  const rows = await engine.db
    .selectFrom('registries')
    .select(['registry', 'registry_user', 'registry_pass'])
    .where('account_name', '=', account)
    .execute();
  const stores = rows.map((row) =>
    staticStore(registryHostOf(row.registry), {
      kind: 'basic',
      username: row.registry_user,
      password: engine.secrets.open(row.registry_pass),
    }),
  );
  return () => chainStores(...stores);
}

/** `host:5000/some/repo/*` names the host `host:5000`: credentials are per host. */
export const registryHostOf = (registry: string): string =>
  canonicalRegistryHost(registry.split('/')[0] ?? registry);

/** The events the engine records; `GET /event_types` lists them. */
export const EVENT_TYPES = [
  'user.image.analysis.completed',
  'user.image.analysis.failed',
  'user.image.vulnerabilities.updated',
  'user.image.policy_eval.updated',
  'user.image.tag.updated',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface EventInput {
  account: string;
  type: EventType;
  level: 'INFO' | 'ERROR';
  resourceType: string;
  resourceId: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Records an event for an account (Anchore's `events`), e.g. an analysis finished. */
export async function recordEvent(engine: Engine, event: EventInput): Promise<void> {
  const row = {
    event_id: randomUUID().replace(/-/g, ''),
    account_name: event.account,
    type: event.type,
    level: event.level,
    resource_type: event.resourceType,
    resource_id: event.resourceId,
    message: event.message,
    details: JSON.stringify(event.details ?? {}),
    source_servicename: 'drydock',
    source_hostid: engine.hostId,
    created_at: nowText(),
  };
  await engine.db.insertInto('events').values(row).execute();
  engine.webhooks?.notify({
    account: row.account_name,
    type: row.type,
    level: row.level,
    resource_type: row.resource_type,
    resource_id: row.resource_id,
    message: row.message,
    details: event.details ?? {},
    created_at: row.created_at,
    event_id: row.event_id,
  });
}
