/**
 * The engine's tables. One schema for SQLite and PostgreSQL: Kysely builds every statement, so
 * columns use types both know (text, integer, bigint); booleans are 0/1 integers and documents
 * are JSON text. Times are ISO-8601 UTC strings with seconds (`2026-11-26T01:02:03Z`), as
 * Anchore prints them, so they sort as text.
 */
import type { Kysely, Transaction } from 'kysely';

export type AccountType = 'admin' | 'user' | 'service';
export type AccountState = 'enabled' | 'disabled' | 'deleting';
export type AnalysisStatus = 'not_analyzed' | 'analyzing' | 'analyzed' | 'analysis_failed';
export type ImageStatus = 'active' | 'inactive' | 'deleting';

export interface EngineSchema {
  engine_schema_version: { version: number };
  accounts: {
    name: string;
    email: string | null;
    type: AccountType;
    state: AccountState;
    /** Bumped by every change to the account's image records: the key of cached image lists. */
    image_revision: number;
    created_at: string;
    last_updated: string;
  };
  users: {
    username: string;
    account_name: string;
    /** `scrypt$N$r$p$salt$hash` (src/engine/passwords.ts). */
    password_hash: string;
    created_at: string;
    last_updated: string;
  };
  /** One analysed (or queued) image per account and manifest digest. */
  images: {
    account_name: string;
    image_digest: string;
    /** The manifest list digest the image was picked from, else the digest itself. */
    parent_digest: string;
    image_id: string | null;
    analysis_status: AnalysisStatus;
    image_status: ImageStatus;
    /** What a worker pulls: `registry/repo@digest`. */
    pull_reference: string;
    /** The Dockerfile the user supplied (text), or null. */
    dockerfile: string | null;
    /** `{ "key": "value" }` as JSON. */
    annotations: string;
    /** Why the last analysis failed. */
    analysis_error: string | null;
    /** Analyses started: a job whose worker died is retried until this reaches the limit. */
    attempts: number;
    /** The worker holding the job and until when; a lease past its time is free to take. */
    lease_owner: string | null;
    lease_until: string | null;
    /** The ImageAnalysis as JSON, once analysed. */
    analysis: string | null;
    /** The image manifest exactly as the registry served it. */
    manifest: string | null;
    /** Anchore's image_content.metadata (AnchoreImageMetadata) as JSON: lists skip `analysis`. */
    content_metadata: string | null;
    /** The MatchResult (findings and data status) as JSON, once analysed. */
    findings: string | null;
    created_at: string;
    last_updated: string;
    analyzed_at: string | null;
  };
  /** The tags an image was added as (Anchore's image_detail). */
  image_tags: {
    account_name: string;
    image_digest: string;
    fulltag: string;
    registry: string;
    repo: string;
    tag: string;
    tag_detected_at: string;
    created_at: string;
  };
  policies: {
    account_name: string;
    policy_id: string;
    name: string;
    comment: string | null;
    active: number;
    /** The bundle as JSON. */
    bundle: string;
    created_at: string;
    last_updated: string;
  };
  registries: {
    account_name: string;
    registry: string;
    registry_name: string;
    registry_type: string;
    registry_user: string;
    /** The password sealed with the engine key (src/engine/secret-box.ts); never returned. */
    registry_pass: string;
    registry_verify: number;
    created_at: string;
    last_updated: string;
  };
  subscriptions: {
    subscription_id: string;
    account_name: string;
    subscription_type: string;
    subscription_key: string;
    subscription_value: string | null;
    active: number;
    created_at: string;
    last_updated: string;
  };
  events: {
    event_id: string;
    account_name: string;
    type: string;
    level: string;
    resource_type: string;
    resource_id: string;
    message: string;
    /** Event details as JSON. */
    details: string;
    source_servicename: string;
    source_hostid: string;
    created_at: string;
  };
  /** Each running engine process's services and when it last said it was alive. */
  services: {
    hostid: string;
    servicename: string;
    base_url: string;
    version: string;
    heartbeat_at: string;
  };
  /** Feeds and feed groups turned off (`system feeds config --disable`); absent rows are on. */
  feed_settings: {
    feed: string;
    /** '' for the whole feed. */
    group_name: string;
    enabled: number;
  };
  /** Each analysed image's packages, for `query/images/by_package`. */
  image_packages: {
    account_name: string;
    image_digest: string;
    name: string;
    version: string;
    /** Anchore's content type: os, npm, gem, python, java, go, binary. */
    type: string;
  };
  /** Each analysed image's findings, for `query/images/by_vulnerability`; rewritten on re-match. */
  image_vulnerabilities: {
    account_name: string;
    image_digest: string;
    vuln_id: string;
    package_name: string;
    package_version: string;
    package_type: string;
    severity: string;
    namespace: string;
    will_not_fix: number;
  };
  /** Every policy evaluation kept, newest last, for `check?history=true` and policy_eval events. */
  evaluations: {
    evaluation_id: string;
    account_name: string;
    image_digest: string;
    tag: string;
    policy_id: string;
    status: string;
    /** The check as Anchore returns it with detail (AnchoreCheck) as JSON. */
    evaluation: string;
    created_at: string;
  };
}

export type EngineDb = Kysely<EngineSchema>;

/** The tables holding an image and what derives from it: deleting an image empties them all. */
export const IMAGE_TABLES = [
  'image_tags',
  'evaluations',
  'image_packages',
  'image_vulnerabilities',
  'images',
] as const satisfies readonly (keyof EngineSchema)[];

const timestamp = 'varchar(32)';

/** Schema steps; migration i brings the schema from version i to i + 1. Never edit one: append. */
export const MIGRATIONS: ((db: Transaction<EngineSchema>) => Promise<void>)[] = [
  async (db) => {
    await db.schema
      .createTable('accounts')
      .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('email', 'text')
      .addColumn('type', 'varchar(16)', (c) => c.notNull())
      .addColumn('state', 'varchar(16)', (c) => c.notNull())
      .addColumn('image_revision', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', timestamp, (c) => c.notNull())
      .addColumn('last_updated', timestamp, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('users')
      .addColumn('username', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('account_name', 'varchar(255)', (c) =>
        c.notNull().references('accounts.name').onDelete('cascade'),
      )
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', timestamp, (c) => c.notNull())
      .addColumn('last_updated', timestamp, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('images')
      .addColumn('account_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('image_digest', 'varchar(255)', (c) => c.notNull())
      .addColumn('parent_digest', 'varchar(255)', (c) => c.notNull())
      .addColumn('image_id', 'varchar(255)')
      .addColumn('analysis_status', 'varchar(32)', (c) => c.notNull())
      .addColumn('image_status', 'varchar(32)', (c) => c.notNull())
      .addColumn('pull_reference', 'text', (c) => c.notNull())
      .addColumn('dockerfile', 'text')
      .addColumn('annotations', 'text', (c) => c.notNull())
      .addColumn('analysis_error', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('lease_owner', 'varchar(255)')
      .addColumn('lease_until', timestamp)
      .addColumn('analysis', 'text')
      .addColumn('manifest', 'text')
      .addColumn('content_metadata', 'text')
      .addColumn('findings', 'text')
      .addColumn('created_at', timestamp, (c) => c.notNull())
      .addColumn('last_updated', timestamp, (c) => c.notNull())
      .addColumn('analyzed_at', timestamp)
      .addPrimaryKeyConstraint('images_pk', ['account_name', 'image_digest'])
      .execute();
    await db.schema
      .createIndex('images_queue')
      .on('images')
      .columns(['analysis_status', 'created_at'])
      .execute();
    await db.schema
      .createTable('image_tags')
      .addColumn('account_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('image_digest', 'varchar(255)', (c) => c.notNull())
      .addColumn('fulltag', 'text', (c) => c.notNull())
      .addColumn('registry', 'text', (c) => c.notNull())
      .addColumn('repo', 'text', (c) => c.notNull())
      .addColumn('tag', 'text', (c) => c.notNull())
      .addColumn('tag_detected_at', timestamp, (c) => c.notNull())
      .addColumn('created_at', timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint('image_tags_pk', ['account_name', 'image_digest', 'fulltag'])
      .execute();
    await db.schema
      .createIndex('image_tags_fulltag')
      .on('image_tags')
      .columns(['account_name', 'fulltag'])
      .execute();
    await db.schema
      .createTable('policies')
      .addColumn('account_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('policy_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('comment', 'text')
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('bundle', 'text', (c) => c.notNull())
      .addColumn('created_at', timestamp, (c) => c.notNull())
      .addColumn('last_updated', timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint('policies_pk', ['account_name', 'policy_id'])
      .execute();
    await db.schema
      .createTable('registries')
      .addColumn('account_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('registry', 'varchar(255)', (c) => c.notNull())
      .addColumn('registry_name', 'text', (c) => c.notNull())
      .addColumn('registry_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('registry_user', 'text', (c) => c.notNull())
      .addColumn('registry_pass', 'text', (c) => c.notNull())
      .addColumn('registry_verify', 'integer', (c) => c.notNull())
      .addColumn('created_at', timestamp, (c) => c.notNull())
      .addColumn('last_updated', timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint('registries_pk', ['account_name', 'registry'])
      .execute();
    await db.schema
      .createTable('subscriptions')
      .addColumn('subscription_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('account_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('subscription_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('subscription_key', 'text', (c) => c.notNull())
      .addColumn('subscription_value', 'text')
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('created_at', timestamp, (c) => c.notNull())
      .addColumn('last_updated', timestamp, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('subscriptions_key')
      .unique()
      .on('subscriptions')
      .columns(['account_name', 'subscription_type', 'subscription_key'])
      .execute();
    await db.schema
      .createTable('events')
      .addColumn('event_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('account_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('type', 'varchar(255)', (c) => c.notNull())
      .addColumn('level', 'varchar(16)', (c) => c.notNull())
      .addColumn('resource_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('resource_id', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull())
      .addColumn('source_servicename', 'varchar(64)', (c) => c.notNull())
      .addColumn('source_hostid', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', timestamp, (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('events_account')
      .on('events')
      .columns(['account_name', 'created_at'])
      .execute();
    await db.schema
      .createTable('evaluations')
      .addColumn('evaluation_id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('account_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('image_digest', 'varchar(255)', (c) => c.notNull())
      .addColumn('tag', 'text', (c) => c.notNull())
      .addColumn('policy_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('evaluation', 'text', (c) => c.notNull())
      .addColumn('created_at', timestamp, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('services')
      .addColumn('hostid', 'varchar(255)', (c) => c.notNull())
      .addColumn('servicename', 'varchar(64)', (c) => c.notNull())
      .addColumn('base_url', 'text', (c) => c.notNull())
      .addColumn('version', 'varchar(64)', (c) => c.notNull())
      .addColumn('heartbeat_at', timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint('services_pk', ['hostid', 'servicename'])
      .execute();
    await db.schema
      .createTable('feed_settings')
      .addColumn('feed', 'varchar(255)', (c) => c.notNull())
      .addColumn('group_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('feed_settings_pk', ['feed', 'group_name'])
      .execute();
    await db.schema
      .createTable('image_packages')
      .addColumn('account_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('image_digest', 'varchar(255)', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('type', 'varchar(32)', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('image_packages_name')
      .on('image_packages')
      .columns(['account_name', 'name'])
      .execute();
    await db.schema
      .createIndex('image_packages_image')
      .on('image_packages')
      .columns(['account_name', 'image_digest'])
      .execute();
    await db.schema
      .createTable('image_vulnerabilities')
      .addColumn('account_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('image_digest', 'varchar(255)', (c) => c.notNull())
      .addColumn('vuln_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('package_name', 'text', (c) => c.notNull())
      .addColumn('package_version', 'text', (c) => c.notNull())
      .addColumn('package_type', 'varchar(32)', (c) => c.notNull())
      .addColumn('severity', 'varchar(16)', (c) => c.notNull())
      .addColumn('namespace', 'varchar(255)', (c) => c.notNull())
      .addColumn('will_not_fix', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('image_vulnerabilities_id')
      .on('image_vulnerabilities')
      .columns(['account_name', 'vuln_id'])
      .execute();
    await db.schema
      .createIndex('image_vulnerabilities_image')
      .on('image_vulnerabilities')
      .columns(['account_name', 'image_digest'])
      .execute();
    await db.schema
      .createIndex('evaluations_image')
      .on('evaluations')
      .columns(['account_name', 'image_digest', 'tag', 'created_at'])
      .execute();
  },
];

export const ENGINE_SCHEMA_VERSION = MIGRATIONS.length;

/** Now, as the engine stores and prints times. */
export const nowText = (date = new Date()): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** `true` when a statement affected no row: conditional updates use it to detect a lost race. */
export const noRows = (result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }): boolean =>
  (result.numUpdatedRows ?? result.numDeletedRows ?? 0n) === 0n;
