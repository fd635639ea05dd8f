/**
 * Starting an engine: a new database needs the admin's password, a restart keeps what was stored
 * (and needs none), a database URL that is not PostgreSQL is refused with a message.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { startServer, type ServeOptions } from '../src/engine/start.js';
import { ApiClient } from './harness/engine.js';

describe('starting the engine', () => {
  let dataDir: string;
  let options: ServeOptions;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'drydock-start-'));
    options = {
      dataDir,
      config: await loadConfig(undefined, { HOME: dataDir }),
      version: 'test',
      workers: 0,
      watchIntervalSeconds: 0,
      host: '127.0.0.1',
      port: 0,
    };
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a new database without an admin password', async () => {
    await expect(startServer(options)).rejects.toThrow(
      /no admin password: set ANCHORE_ADMIN_PASSWORD/,
    );
  });

  it('keeps accounts and the admin password across a restart, which needs no password', async () => {
    const first = await startServer({ ...options, adminPassword: 'first-secret' });
    const admin = new ApiClient(first.url ?? '', 'admin', 'first-secret');
    expect((await admin.request('POST', '/accounts', { name: 'kept' })).status).toBe(200);
    await first.close();

    const second = await startServer(options);
    try {
      const again = new ApiClient(second.url ?? '', 'admin', 'first-secret');
      const accounts = await again.get<{ name: string }[]>('/accounts');
      expect(accounts.body.map((a) => a.name)).toEqual(['admin', 'kept']);
    } finally {
      await second.close();
    }

    // A password given on a later start does not replace the stored one.
    const third = await startServer({ ...options, adminPassword: 'ignored-now' });
    try {
      expect(
        (await new ApiClient(third.url ?? '', 'admin', 'ignored-now').get('/accounts')).status,
      ).toBe(401);
      expect(
        (await new ApiClient(third.url ?? '', 'admin', 'first-secret').get('/accounts')).status,
      ).toBe(200);
    } finally {
      await third.close();
    }
  });

  it('refuses a database URL that is not PostgreSQL', async () => {
    await expect(
      startServer({ ...options, dbUrl: 'mysql://localhost/engine', adminPassword: 'x' }),
    ).rejects.toThrow(/is not a postgres:\/\/ URL/);
  });
});
