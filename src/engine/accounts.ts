/**
 * Accounts and their users, and who a request is. Every request names a user by HTTP Basic
 * auth; it acts for that user's account, or — admins only — for the account the
 * `x-anchore-account` header names. A verified password is remembered (as a salted digest, for
 * this process only) until the stored hash changes, so scrypt runs once per user, not per request.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ApiError, badRequest, conflict, forbidden, notFound } from './api-error.js';
import type { Engine } from './engine.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { installDefaultBundle } from './policies.js';
import {
  IMAGE_TABLES,
  nowText,
  type AccountState,
  type AccountType,
  type EngineSchema,
} from './store/schema.js';

export interface Principal {
  username: string;
  /** The user's own account. */
  accountName: string;
  accountType: AccountType;
}

export interface RequestIdentity {
  principal: Principal;
  /** The account the request acts for: the user's own, or the one an admin named. */
  account: string;
}

const unauthorized = (): ApiError => new ApiError(401, 'Unauthorized');
const NAME = /^[A-Za-z0-9][A-Za-z0-9@._-]{0,127}$/;
const MIN_PASSWORD = 1;
/** Hashing is deliberately slow: a bound keeps a huge password from costing more. */
const MAX_PASSWORD = 1024;

export class Authenticator {
  /** username → the stored hash and a digest of the password it was verified with. */
  private readonly verified = new Map<string, { hash: string; digest: string }>();
  private readonly salt = randomBytes(16);

  constructor(private readonly engine: Engine) {}

  async identify(
    authorization: string | undefined,
    asAccount: string | undefined,
  ): Promise<RequestIdentity> {
    const credentials = parseBasic(authorization);
    if (credentials === undefined) throw unauthorized();
    const principal = await this.verify(credentials.username, credentials.password);
    if (asAccount === undefined || asAccount === '' || asAccount === principal.accountName)
      return { principal, account: principal.accountName };
    if (principal.accountType !== 'admin')
      throw forbidden(`user ${principal.username} may not act as account ${asAccount}`);
    const target = await this.engine.db
      .selectFrom('accounts')
      .select('state')
      .where('name', '=', asAccount)
      .executeTakeFirst();
    if (target === undefined) throw notFound(`account ${asAccount} not found`);
    return { principal, account: asAccount };
  }

  private async verify(username: string, password: string): Promise<Principal> {
    const row = await this.engine.db
      .selectFrom('users')
      .innerJoin('accounts', 'accounts.name', 'users.account_name')
      .select(['users.password_hash', 'accounts.name', 'accounts.type', 'accounts.state'])
      .where('users.username', '=', username)
      .executeTakeFirst();
    if (row === undefined || row.state !== 'enabled') throw unauthorized();
    const digest = createHash('sha256').update(this.salt).update(password).digest('base64');
    const known = this.verified.get(username);
    if (known?.hash !== row.password_hash || known.digest !== digest) {
      if (!(await verifyPassword(password, row.password_hash))) throw unauthorized();
      this.verified.set(username, { hash: row.password_hash, digest });
    }
    return { username, accountName: row.name, accountType: row.type };
  }
}

function parseBasic(
  header: string | undefined,
): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (match?.[1] === undefined) return undefined;
  const text = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

export const requireAdmin = (identity: RequestIdentity): void => {
  if (identity.principal.accountType !== 'admin')
    throw forbidden('only an admin account may manage accounts and users');
};

export interface AccountRecord {
  name: string;
  email: string | null;
  type: AccountType;
  state: AccountState;
  created_at: string;
  last_updated: string;
}

export interface UserRecord {
  username: string;
  type: 'native';
  source: null;
  created_at: string;
  last_updated: string;
}

const toUser = (
  row: Pick<EngineSchema['users'], 'username' | 'created_at' | 'last_updated'>,
): UserRecord => ({
  username: row.username,
  type: 'native',
  source: null,
  created_at: row.created_at,
  last_updated: row.last_updated,
});

/** The admin account and user, made on first start; a later start leaves the password alone. */
export async function bootstrapAdmin(engine: Engine, password: string): Promise<void> {
  const existing = await engine.db
    .selectFrom('users')
    .select('username')
    .where('username', '=', 'admin')
    .executeTakeFirst();
  if (existing !== undefined) return;
  await createAccount(engine, { name: 'admin', type: 'admin', email: null });
  await createUser(engine, 'admin', { username: 'admin', password });
}

export async function createAccount(
  engine: Engine,
  input: { name: unknown; email: unknown; type?: AccountType },
): Promise<AccountRecord> {
  if (typeof input.name !== 'string' || !NAME.test(input.name))
    throw badRequest('account name must be 1-128 letters, digits, @ . _ or -');
  const now = nowText();
  const row = {
    name: input.name,
    email: typeof input.email === 'string' ? input.email : null,
    type: input.type ?? ('user' as const),
    state: 'enabled' as const,
    created_at: now,
    last_updated: now,
  };
  await engine.db.transaction().execute(async (trx) => {
    const taken = await trx
      .selectFrom('accounts')
      .select('name')
      .where('name', '=', row.name)
      .executeTakeFirst();
    if (taken !== undefined) throw conflict(`account ${row.name} already exists`);
    await trx
      .insertInto('accounts')
      .values({ ...row, image_revision: 0 })
      .execute();
    await installDefaultBundle(trx, row.name);
  });
  return row;
}

/** What the API shows of an account (not its internal counters). */
const ACCOUNT_COLUMNS = ['name', 'email', 'type', 'state', 'created_at', 'last_updated'] as const;

export async function listAccounts(engine: Engine, state?: string): Promise<AccountRecord[]> {
  let query = engine.db.selectFrom('accounts').select(ACCOUNT_COLUMNS);
  if (state !== undefined) query = query.where('state', '=', state as AccountState);
  return query.orderBy('name').execute();
}

export async function getAccount(engine: Engine, name: string): Promise<AccountRecord> {
  const row = await engine.db
    .selectFrom('accounts')
    .select(ACCOUNT_COLUMNS)
    .where('name', '=', name)
    .executeTakeFirst();
  if (row === undefined) throw notFound(`account ${name} not found`);
  return row;
}

/** Anchore's rule: an account is disabled before it may be deleted; admin accounts stay. */
export async function setAccountState(
  engine: Engine,
  name: string,
  state: unknown,
): Promise<{ state: AccountState }> {
  if (state !== 'enabled' && state !== 'disabled')
    throw badRequest('state must be enabled or disabled');
  const account = await getAccount(engine, name);
  if (account.type === 'admin' && state === 'disabled')
    throw badRequest(
      'Invalid account state change requested: the admin account cannot be disabled',
    );
  await engine.db
    .updateTable('accounts')
    .set({ state, last_updated: nowText() })
    .where('name', '=', name)
    .execute();
  return { state };
}

/** Deletes an account and everything it owns, in one transaction. */
export async function deleteAccount(engine: Engine, name: string): Promise<void> {
  const account = await getAccount(engine, name);
  if (account.state !== 'disabled')
    throw conflict(
      'Invalid account state change requested: disable the account before deleting it',
    );
  await engine.db.transaction().execute(async (trx) => {
    for (const table of [
      ...IMAGE_TABLES,
      'policies',
      'registries',
      'subscriptions',
      'events',
      'users',
    ] as const)
      await trx.deleteFrom(table).where('account_name', '=', name).execute();
    await trx.deleteFrom('accounts').where('name', '=', name).execute();
  });
}

export async function createUser(
  engine: Engine,
  accountName: string,
  input: { username: unknown; password: unknown },
): Promise<UserRecord> {
  await getAccount(engine, accountName);
  if (typeof input.username !== 'string' || !NAME.test(input.username))
    throw badRequest('username must be 1-128 letters, digits, @ . _ or -');
  const password = checkPassword(input.password);
  const now = nowText();
  const row = {
    username: input.username,
    account_name: accountName,
    password_hash: await hashPassword(password),
    created_at: now,
    last_updated: now,
  };
  const taken = await engine.db
    .selectFrom('users')
    .select('username')
    .where('username', '=', row.username)
    .executeTakeFirst();
  if (taken !== undefined) throw conflict(`user ${row.username} already exists`);
  await engine.db.insertInto('users').values(row).execute();
  return toUser(row);
}

export async function listUsers(engine: Engine, accountName: string): Promise<UserRecord[]> {
  await getAccount(engine, accountName);
  const rows = await engine.db
    .selectFrom('users')
    .selectAll()
    .where('account_name', '=', accountName)
    .orderBy('username')
    .execute();
  return rows.map(toUser);
}

export async function getUser(
  engine: Engine,
  accountName: string,
  username: string,
): Promise<UserRecord> {
  const row = await engine.db
    .selectFrom('users')
    .selectAll()
    .where('account_name', '=', accountName)
    .where('username', '=', username)
    .executeTakeFirst();
  if (row === undefined) throw notFound(`user ${username} not found in account ${accountName}`);
  return toUser(row);
}

export async function deleteUser(
  engine: Engine,
  accountName: string,
  username: string,
  caller: Principal,
): Promise<void> {
  await getUser(engine, accountName, username);
  if (username === caller.username) throw badRequest('a user cannot delete itself');
  await engine.db
    .deleteFrom('users')
    .where('account_name', '=', accountName)
    .where('username', '=', username)
    .execute();
}

export async function setPassword(
  engine: Engine,
  accountName: string,
  username: string,
  password: unknown,
): Promise<UserRecord> {
  await getUser(engine, accountName, username);
  const hash = await hashPassword(checkPassword(password));
  await engine.db
    .updateTable('users')
    .set({ password_hash: hash, last_updated: nowText() })
    .where('account_name', '=', accountName)
    .where('username', '=', username)
    .execute();
  return getUser(engine, accountName, username);
}

function checkPassword(value: unknown): string {
  if (typeof value !== 'string' || value.length < MIN_PASSWORD)
    throw badRequest('a password (non-empty string) is required');
  if (value.length > MAX_PASSWORD)
    throw badRequest(`a password is at most ${String(MAX_PASSWORD)} characters`);
  return value;
}
