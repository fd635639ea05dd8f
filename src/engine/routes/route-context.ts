/**
 * What every route group gets, and the small readers of Anchore's query conventions. A route
 * group is one file exporting `(app, context) => void`, listed once in server.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../api-error.js';
import type { Engine } from '../engine.js';

export interface RouteContext {
  engine: Engine;
  version: string;
  syncFeeds: () => Promise<void>;
  /** `GET /images/{imageDigest}`…: every route registered under /v1, for the API description. */
  paths: string[];
}

export type RouteGroup = (app: FastifyInstance, context: RouteContext) => void;

export type Query = Record<string, string | undefined>;
export type Params = Record<string, string>;

export const queryOf = (request: FastifyRequest): Query => request.query as Query;
export const paramsOf = (request: FastifyRequest): Params => request.params as Params;

/** Python clients send `True`/`False`; browsers `true`/`false`; both count. */
export function flag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw badRequest(`expected true or false, got ${value}`);
}

/** The JSON object a route expects as its body. */
export function objectBody(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('the request body must be a JSON object');
  return body as Record<string, unknown>;
}
