/**
 * An account's registry credentials (`registry add`): the password sealed at rest and never
 * returned (shown as `****`). Unless told to skip it, adding or updating logs in to the registry
 * first, as `docker login` does, so a typo is caught before an analysis fails on it.
 */
import { connectionFor } from '../config/config.js';
import { canonicalRegistryHost } from '../reference/reference.js';
import { RegistryClient } from '../source/registry/client.js';
import { staticStore } from '../source/registry/credentials.js';
import { badRequest, conflict, notFound } from './api-error.js';
import { registryHostOf, type Engine } from './engine.js';
import { nowText, type EngineSchema } from './store/schema.js';

export interface RegistryRecord {
  registry: string;
  registry_name: string;
  registry_user: string;
  registry_pass: '****';
  registry_type: string;
  registry_verify: boolean;
  userId: string;
  created_at: string;
  last_updated: string;
}

type Row = EngineSchema['registries'];

const LOGIN_TIMEOUT_MS = 30_000;

const toRecord = (row: Row): RegistryRecord => ({
  registry: row.registry,
  registry_name: row.registry_name,
  registry_user: row.registry_user,
  registry_pass: '****',
  registry_type: row.registry_type,
  registry_verify: row.registry_verify === 1,
  userId: row.account_name,
  created_at: row.created_at,
  last_updated: row.last_updated,
});

interface RegistryInput {
  registry: string;
  name: string;
  user: string;
  password: string;
  type: string;
  verify: boolean;
}

function parseInput(body: Record<string, unknown>, registry?: string): RegistryInput {
  const name = registry ?? body.registry;
  if (typeof name !== 'string' || name === '' || /\s/.test(name))
    throw badRequest('registry is required: host[:port], optionally with a repository path');
  for (const field of ['registry_user', 'registry_pass'] as const)
    if (typeof body[field] !== 'string' || body[field] === '')
      throw badRequest(`${field} is required`);
  return {
    registry: name,
    name:
      typeof body.registry_name === 'string' && body.registry_name !== ''
        ? body.registry_name
        : name,
    user: body.registry_user as string,
    password: body.registry_pass as string,
    type:
      typeof body.registry_type === 'string' && body.registry_type !== ''
        ? body.registry_type
        : 'docker_v2',
    verify: body.registry_verify !== false,
  };
}

/** Logs in to the registry with the credentials; a refusal is the client's error (400). */
async function validateLogin(engine: Engine, input: RegistryInput): Promise<void> {
  const host = registryHostOf(input.registry);
  const client = new RegistryClient({
    registry: host,
    repository:
      input.registry
        .split('/')
        .slice(1)
        .join('/')
        .replace(/\/?\*$/, '') || 'library/drydock-login-check',
    image: input.registry,
    connection: { ...connectionFor(engine.config, host), skipTlsVerify: !input.verify },
    credentials: staticStore(host, {
      kind: 'basic',
      username: input.user,
      password: input.password,
    }),
    timeoutMs: LOGIN_TIMEOUT_MS,
    maxRetries: 1,
    userAgent: 'drydock-engine',
  });
  try {
    await client.checkLogin();
  } catch (error) {
    throw badRequest(
      `cannot log in to registry ${input.registry} with the given credentials: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await client.close();
  }
}

export async function addRegistry(
  engine: Engine,
  account: string,
  body: Record<string, unknown>,
  validate: boolean,
): Promise<RegistryRecord[]> {
  const input = parseInput(body);
  if (await findRow(engine, account, input.registry))
    throw conflict(`registry ${input.registry} already exists; update it instead`);
  if (validate) await validateLogin(engine, input);
  const now = nowText();
  await engine.db
    .insertInto('registries')
    .values({
      account_name: account,
      registry: input.registry,
      registry_name: input.name,
      registry_type: input.type,
      registry_user: input.user,
      registry_pass: engine.secrets.seal(input.password),
      registry_verify: input.verify ? 1 : 0,
      created_at: now,
      last_updated: now,
    })
    .execute();
  return getRegistry(engine, account, input.registry);
}

export async function updateRegistry(
  engine: Engine,
  account: string,
  registry: string,
  body: Record<string, unknown>,
  validate: boolean,
): Promise<RegistryRecord[]> {
  if ((await findRow(engine, account, registry)) === undefined)
    throw notFound(`registry ${registry} not found`);
  const input = parseInput(body, registry);
  if (validate) await validateLogin(engine, input);
  await engine.db
    .updateTable('registries')
    .set({
      registry_name: input.name,
      registry_type: input.type,
      registry_user: input.user,
      registry_pass: engine.secrets.seal(input.password),
      registry_verify: input.verify ? 1 : 0,
      last_updated: nowText(),
    })
    .where('account_name', '=', account)
    .where('registry', '=', registry)
    .execute();
  return getRegistry(engine, account, registry);
}

export async function listRegistries(engine: Engine, account: string): Promise<RegistryRecord[]> {
  const rows = await engine.db
    .selectFrom('registries')
    .selectAll()
    .where('account_name', '=', account)
    .orderBy('registry')
    .execute();
  return rows.map(toRecord);
}

export async function getRegistry(
  engine: Engine,
  account: string,
  registry: string,
): Promise<RegistryRecord[]> {
  const row = await findRow(engine, account, registry);
  if (row === undefined) throw notFound(`registry ${registry} not found`);
  return [toRecord(row)];
}

export async function deleteRegistry(
  engine: Engine,
  account: string,
  registry: string,
): Promise<void> {
  if ((await findRow(engine, account, registry)) === undefined)
    throw notFound(`registry ${registry} not found`);
  await engine.db
    .deleteFrom('registries')
    .where('account_name', '=', account)
    .where('registry', '=', registry)
    .execute();
}

/** Registries are looked up as written, or by their canonical host (`index.docker.io`). */
function findRow(engine: Engine, account: string, registry: string): Promise<Row | undefined> {
  return engine.db
    .selectFrom('registries')
    .selectAll()
    .where('account_name', '=', account)
    .where('registry', 'in', [registry, canonicalRegistryHost(registry)])
    .executeTakeFirst();
}
