/**
 * Which engine processes run which services (`apiext` answers the API, `analyzer` runs
 * analyses), as `system status` lists them. Each process writes a heartbeat; a service whose
 * heartbeat is older than three periods is reported down.
 */
import type { Engine } from './engine.js';
import { nowText } from './store/schema.js';

export const HEARTBEAT_MS = 30_000;

export interface ServiceRecord {
  hostid: string;
  servicename: string;
  base_url: string;
  status: boolean;
  status_message: string;
  version: string;
  service_detail: {
    up: boolean;
    available: boolean;
    busy: boolean;
    message: string;
    version: string;
    db_version: string;
  };
}

/** Registers the services and keeps their heartbeat until the returned stop is called. */
export function announceServices(
  engine: Engine,
  services: readonly { name: string; baseUrl: string }[],
  version: string,
): () => Promise<void> {
  const beat = async (): Promise<void> => {
    const now = nowText();
    for (const service of services)
      await engine.db
        .insertInto('services')
        .values({
          hostid: engine.hostId,
          servicename: service.name,
          base_url: service.baseUrl,
          version,
          heartbeat_at: now,
        })
        .onConflict((oc) =>
          oc.columns(['hostid', 'servicename']).doUpdateSet({ heartbeat_at: now }),
        )
        .execute();
  };
  const timer = setInterval(() => {
    void beat().catch(() => undefined);
  }, HEARTBEAT_MS);
  timer.unref();
  void beat().catch(() => undefined);
  return async () => {
    clearInterval(timer);
    await engine.db.deleteFrom('services').where('hostid', '=', engine.hostId).execute();
  };
}

export async function listServices(engine: Engine, dbVersion: string): Promise<ServiceRecord[]> {
  const rows = await engine.db
    .selectFrom('services')
    .selectAll()
    .orderBy('servicename')
    .orderBy('hostid')
    .execute();
  const cutoff = Date.now() - 3 * HEARTBEAT_MS;
  return rows.map((row) => {
    const up = Date.parse(row.heartbeat_at) >= cutoff;
    const message = up ? 'all good' : `no heartbeat since ${row.heartbeat_at}`;
    return {
      hostid: row.hostid,
      servicename: row.servicename,
      base_url: row.base_url,
      status: up,
      status_message: up ? 'registered' : message,
      version: row.version,
      service_detail: {
        up,
        available: up,
        busy: false,
        message,
        version: row.version,
        db_version: dbVersion,
      },
    };
  });
}
