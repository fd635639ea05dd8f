/**
 * The HTTP server: Fastify, routes under `/v1` (and the same at the root, as Anchore serves
 * both), Basic auth on every route but health, version and the API description, and every error
 * in Anchore's `{"message", "httpcode", "detail"}` shape.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { RequestIdentity } from './accounts.js';
import { Authenticator } from './accounts.js';
import { ApiError, toApiError } from './api-error.js';
import type { Engine } from './engine.js';
import { accountRoutes } from './routes/accounts.js';
import { eventRoutes } from './routes/events.js';
import { imageRoutes } from './routes/images.js';
import { policyRoutes } from './routes/policies.js';
import { queryRoutes } from './routes/query.js';
import { registryRoutes } from './routes/registries.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import { rootRoutes, systemRoutes } from './routes/system.js';
import type { RouteContext } from './routes/route-context.js';

declare module 'fastify' {
  interface FastifyRequest {
    identity: RequestIdentity | null;
  }
  interface FastifyContextConfig {
    /** Answered without credentials. */
    public?: boolean;
  }
}

export interface ServerOptions {
  engine: Engine;
  version: string;
  /** Called by the feed sync route: re-match stored analyses against the current data. */
  syncFeeds: () => Promise<void>;
  https?: { key: Buffer; cert: Buffer };
}

/** Request bodies are policy bundles and image requests: a few MB at most. */
const BODY_LIMIT = 32 * 1024 * 1024;
const ROUTE_GROUPS = [
  systemRoutes,
  imageRoutes,
  policyRoutes,
  registryRoutes,
  subscriptionRoutes,
  eventRoutes,
  accountRoutes,
  queryRoutes,
];

export function buildServer(options: ServerOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    logger: false,
    ...(options.https === undefined ? {} : { https: options.https }),
  }) as unknown as FastifyInstance;
  const authenticator = new Authenticator(options.engine);
  app.decorateRequest('identity', null);
  acceptEmptyJsonBodies(app);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.public === true) return;
    const asAccount = request.headers['x-anchore-account'];
    request.identity = await authenticator.identify(
      request.headers.authorization,
      Array.isArray(asAccount) ? asAccount[0] : asAccount,
    );
  });
  app.setErrorHandler(async (error, _request, reply) => {
    const apiError = fastifyClientError(error) ?? toApiError(error);
    if (apiError.httpcode === 500) process.stderr.write(`drydock engine: ${describe(error)}\n`);
    if (apiError.httpcode === 401) void reply.header('WWW-Authenticate', 'Basic realm="drydock"');
    return reply.code(apiError.httpcode).send(apiError.body());
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(
        new ApiError(
          404,
          `no such route: ${request.method} ${request.url.split('?')[0] ?? ''}`,
        ).body(),
      ),
  );
  const paths: string[] = [];
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/v1'))
      paths.push(`${String(route.method)} ${route.url.slice(3) || '/'}`);
  });
  const context: RouteContext = {
    engine: options.engine,
    version: options.version,
    syncFeeds: options.syncFeeds,
    paths,
  };
  void app.register(
    (scope, _options, done) => {
      for (const group of ROUTE_GROUPS) group(scope, context);
      done();
    },
    { prefix: '/v1' },
  );
  rootRoutes(app, context);
  return app;
}

/** The caller's identity; every non-public route has one (the hook ran first). */
export function identityOf(request: FastifyRequest): RequestIdentity {
  if (request.identity === null) throw new ApiError(401, 'Unauthorized');
  return request.identity;
}

/**
 * anchore-cli sends `Content-Type: application/json` on every request, GETs and DELETEs
 * included, with no body: that must read as "no body", not as malformed JSON.
 */
function acceptEmptyJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(
        new ApiError(
          400,
          `the request body is not JSON: ${error instanceof Error ? error.message : ''}`,
        ),
        undefined,
      );
    }
  });
}

/** Fastify's own 4xx errors (body too large, unsupported media type) keep their status. */
function fastifyClientError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && error instanceof Error)
    return new ApiError(status, error.message);
  return undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
