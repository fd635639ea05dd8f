/** `/events`: what happened in an account (analyses finished, findings or verdicts changed). */
import { sql } from 'kysely';
import { notFound } from '../api-error.js';
import { EVENT_TYPES } from '../engine.js';
import { identityOf } from '../server.js';
import type { EngineDb, EngineSchema } from '../store/schema.js';
import { paramsOf, queryOf, type Query, type RouteGroup } from './route-context.js';

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

type Row = EngineSchema['events'];

const toEvent = (row: Row) => ({
  generated_uuid: row.event_id,
  created_at: row.created_at,
  event: {
    type: row.type,
    level: row.level,
    message: row.message,
    details: JSON.parse(row.details) as unknown,
    timestamp: row.created_at,
    resource: { user_id: row.account_name, id: row.resource_id, type: row.resource_type },
    source: {
      servicename: row.source_servicename,
      hostid: row.source_hostid,
      base_url: null,
      request_id: null,
    },
  },
});

export const eventRoutes: RouteGroup = (app, { engine }) => {
  app.get('/event_types', () => [
    {
      name: 'user',
      description: 'events of an account',
      types: EVENT_TYPES.map((type) => ({ name: type, type })),
    },
  ]);
  app.get('/events', async (request) => {
    const query = queryOf(request);
    const limit = Math.min(
      Number(query.limit ?? DEFAULT_PAGE_SIZE) || DEFAULT_PAGE_SIZE,
      MAX_PAGE_SIZE,
    );
    const page = Math.max(Number(query.page ?? 1) || 1, 1);
    const rows = await filtered(engine.db, identityOf(request).account, query)
      .orderBy('created_at', 'desc')
      .orderBy('event_id')
      .limit(limit + 1)
      .offset((page - 1) * limit)
      .execute();
    const results = rows.slice(0, limit).map(toEvent);
    return { results, next_page: rows.length > limit, item_count: results.length, page };
  });
  app.delete('/events', async (request) => {
    const ids = await filtered(engine.db, identityOf(request).account, queryOf(request)).execute();
    await engine.db
      .deleteFrom('events')
      .where('account_name', '=', identityOf(request).account)
      .where('event_id', 'in', ids.length === 0 ? [''] : ids.map((r) => r.event_id))
      .execute();
    return ids.map((r) => r.event_id);
  });
  app.get('/events/:eventId', async (request) => {
    const row = await engine.db
      .selectFrom('events')
      .selectAll()
      .where('account_name', '=', identityOf(request).account)
      .where('event_id', '=', paramsOf(request).eventId ?? '')
      .executeTakeFirst();
    if (row === undefined) throw notFound(`event ${paramsOf(request).eventId ?? ''} not found`);
    return toEvent(row);
  });
  app.delete('/events/:eventId', async (request, reply) => {
    const result = await engine.db
      .deleteFrom('events')
      .where('account_name', '=', identityOf(request).account)
      .where('event_id', '=', paramsOf(request).eventId ?? '')
      .executeTakeFirst();
    if (result.numDeletedRows === 0n)
      throw notFound(`event ${paramsOf(request).eventId ?? ''} not found`);
    return reply.code(200).send();
  });
};

/**
 * `event_type` as anchore-cli sends it: an exact type, or a pattern with `*` wildcards
 * (`user.image.*`); LIKE's own `%` and `_` in it are matched literally.
 */
function typeFilter(pattern: string) {
  if (!pattern.includes('*')) return sql<boolean>`type = ${pattern}`;
  const like = pattern.replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll('*', '%');
  return sql<boolean>`type like ${like} escape '\\'`;
}

/** The account's events the query's filters select (since, before, level, type, resource). */
function filtered(db: EngineDb, account: string, query: Query) {
  let select = db.selectFrom('events').selectAll().where('account_name', '=', account);
  if (query.since !== undefined) select = select.where('created_at', '>=', query.since);
  if (query.before !== undefined) select = select.where('created_at', '<', query.before);
  if (query.level !== undefined) select = select.where('level', '=', query.level.toUpperCase());
  if (query.event_type !== undefined) select = select.where(typeFilter(query.event_type));
  if (query.resource_type !== undefined)
    select = select.where('resource_type', '=', query.resource_type);
  if (query.resource_id !== undefined) select = select.where('resource_id', '=', query.resource_id);
  if (query.source_servicename !== undefined)
    select = select.where('source_servicename', '=', query.source_servicename);
  if (query.source_hostid !== undefined)
    select = select.where('source_hostid', '=', query.source_hostid);
  return select;
}
