/**
 * System routes: the API root, health, version, status, the API description anchore-cli reads
 * its version from, services, feeds (list and sync) and the policy gate specification.
 */
import type { FastifyInstance } from 'fastify';
import { policySpec } from '../../policy/policy-spec.js';
import { requireAdmin } from '../accounts.js';
import { listFeeds, setFeedEnabled } from '../feeds.js';
import { identityOf } from '../server.js';
import { listServices } from '../services.js';
import { ENGINE_SCHEMA_VERSION } from '../store/schema.js';
import { flag, paramsOf, queryOf, type RouteContext, type RouteGroup } from './route-context.js';

/** The Anchore API version drydock speaks; anchore-cli picks its request style from it. */
export const ANCHORE_API_VERSION = '0.1.20';

export const systemRoutes: RouteGroup = (app, context) => {
  const { engine } = context;
  app.get('/', () => ({
    service: 'drydock',
    api_version: ANCHORE_API_VERSION,
    version: context.version,
  }));
  app.get('/swagger.json', { config: { public: true } }, () => apiDescription(context));
  app.get('/status', () => statusOf(context));
  app.get('/system', async () => ({
    service_states: await listServices(engine, String(ENGINE_SCHEMA_VERSION)),
  }));
  app.get('/system/services', () => listServices(engine, String(ENGINE_SCHEMA_VERSION)));
  app.get('/system/feeds', () => listFeeds(engine));
  for (const path of ['/system/feeds/:feed', '/system/feeds/:feed/:group'])
    app.put(path, async (request) => {
      requireAdmin(identityOf(request));
      const { feed = '', group } = paramsOf(request);
      return setFeedEnabled(engine, feed, group, flag(queryOf(request).enabled, true));
    });
  app.post('/system/feeds', async () => {
    const started = Date.now();
    await context.syncFeeds();
    return (await listFeeds(engine)).map((feed) => ({
      feed: feed.name,
      status: 'success',
      total_time_seconds: (Date.now() - started) / 1000,
      groups: feed.groups.map((group) => ({
        group: group.name,
        status: 'success',
        updated_record_count: 0,
        total_time_seconds: 0,
      })),
    }));
  });
  app.get('/system/policy_spec', () => policySpec());
};

/** Health, version, status and the API description answer at the root too, without credentials. */
export function rootRoutes(app: FastifyInstance, context: RouteContext): void {
  const open = { config: { public: true } };
  app.get('/health', open, () => ({ up: true }));
  app.get('/version', open, () => ({
    service: { version: context.version },
    api: { version: ANCHORE_API_VERSION },
    db: { schema_version: String(ENGINE_SCHEMA_VERSION) },
  }));
  app.get('/status', open, () => statusOf(context));
  app.get('/swagger.json', open, () => apiDescription(context));
}

function statusOf(context: RouteContext) {
  return {
    available: true,
    busy: false,
    up: true,
    message: 'all good',
    version: context.version,
    db_version: String(ENGINE_SCHEMA_VERSION),
    detail: {},
  };
}

/** A description of the routes this engine serves (not Anchore's whole API): what is really here. */
function apiDescription(context: RouteContext) {
  const paths: Record<string, Record<string, object>> = {};
  for (const entry of context.paths) {
    const [method = 'GET', path = '/'] = entry.split(' ');
    const swaggerPath = path.replace(/:(\w+)/g, '{$1}');
    for (const verb of method.split(',')) {
      if (verb === 'HEAD') continue;
      (paths[swaggerPath] ??= {})[verb.toLowerCase()] = {
        responses: { 200: { description: 'success' } },
      };
    }
  }
  return {
    swagger: '2.0',
    info: {
      title: 'drydock engine API (Anchore Engine v1 compatible)',
      version: ANCHORE_API_VERSION,
      description: `drydock ${context.version}; docs/api.md lists what each route does and what is not implemented`,
    },
    basePath: '/v1',
    paths,
  };
}
