/**
 * A client of the engine's Anchore Engine v1 API that asks what anchore-cli asks (same routes,
 * query parameters and bodies, Basic auth, `x-anchore-account`), and hands back each answer as
 * anchore-cli's `make_client_result` does: success for 2xx, the status, and the body parsed as
 * JSON where it is JSON, else as text.
 */
import type { Agent, Dispatcher } from 'undici';
import { DrydockError } from '../model/index.js';
import { pythonTruthy } from '../report/python-text.js';
import { describeNetworkError } from '../source/registry/network-errors.js';

export const DEFAULT_ENGINE_URL = 'http://localhost:8228/v1';

export interface EngineConnection {
  /** The API root, `http://localhost:8228/v1`. */
  url: string;
  /** Sent as `None` when unset, as anchore-cli does. */
  user?: string;
  password?: string;
  /** False: accept any certificate (`--insecure`, `ANCHORE_CLI_SSL_VERIFY=n`). */
  verifyTls: boolean;
  /** `--as-account`: act for another account (admin only). */
  asAccount?: string;
  userAgent: string;
}

/** anchore-cli's client result. */
export interface EngineResult {
  success: boolean;
  httpcode: number;
  /** The body of a 2xx answer. */
  payload: unknown;
  /** The body of any other answer. */
  error: unknown;
}

export type ImageSelector = { tag: string } | { imageId: string } | { digest: string };
export type QueryGroup = 'content' | 'metadata' | 'vuln';
export type Query = Record<string, string | undefined>;

/** Python's str(bool), as anchore-cli writes flags into its URLs. */
const pyBool = (value: boolean): string => (value ? 'True' : 'False');

export class EngineClient {
  /** Made on the first request: undici loads only when a command talks to an engine. */
  private agent: Agent | undefined;
  private readonly base: string;

  constructor(private readonly connection: EngineConnection) {
    this.base = connection.url.replace(/\/$/, '');
  }

  close(): Promise<void> {
    return this.agent?.close() ?? Promise.resolve();
  }

  /** The API root: anchore-cli's access check before every command. */
  baseRoutes(): Promise<EngineResult> {
    return this.send('GET', this.connection.url);
  }

  getImage(image: ImageSelector, history = false): Promise<EngineResult> {
    const historyQuery = { history: history ? 'true' : 'false' };
    if ('digest' in image) return this.call('GET', ['images', image.digest], historyQuery);
    if ('imageId' in image)
      return this.call('GET', ['images', 'by_id', image.imageId], historyQuery);
    return this.call('GET', ['images'], { fulltag: image.tag, ...historyQuery });
  }

  listImages(): Promise<EngineResult> {
    return this.call('GET', ['images']);
  }

  addImage(
    body: { tag: string; dockerfile?: string; annotations?: Record<string, string> },
    flags: { force: boolean; autosubscribe: boolean },
  ): Promise<EngineResult> {
    const query = { autosubscribe: pyBool(flags.autosubscribe), force: flags.force ? 'true' : '' };
    return this.call('POST', ['images'], query, body);
  }

  /** `content`, `metadata` or `vuln` of an image; without a type, the types it has. */
  queryImage(
    digest: string,
    group: QueryGroup,
    type: string | undefined,
    vendorOnly = true,
  ): Promise<EngineResult> {
    const path = ['images', digest, group, ...(type === undefined ? [] : [type])];
    return this.call('GET', path, group === 'vuln' ? { vendor_only: pyBool(vendorOnly) } : {});
  }

  /** drydock's own route: the stored analysis and findings (a real Anchore engine answers 404). */
  drydockAnalysis(digest: string): Promise<EngineResult> {
    return this.call('GET', ['images', digest, 'drydock', 'analysis']);
  }

  deleteImage(digest: string, force: boolean): Promise<EngineResult> {
    return this.call('DELETE', ['images', digest], { force: force ? 'True' : '' });
  }

  checkImage(
    digest: string,
    options: { history: boolean; detail: boolean; tag: string; policyId?: string },
  ): Promise<EngineResult> {
    return this.call('GET', ['images', digest, 'check'], {
      history: String(options.history),
      detail: String(options.detail),
      tag: options.tag,
      policyId: options.policyId,
    });
  }

  addPolicy(bundle: unknown): Promise<EngineResult> {
    return this.call('POST', ['policies'], { detail: 'True' }, bundle);
  }

  getPolicy(policyId: string, detail: boolean): Promise<EngineResult> {
    return this.call('GET', ['policies', policyId], { detail: pyBool(detail) });
  }

  listPolicies(): Promise<EngineResult> {
    return this.call('GET', ['policies'], { detail: 'False' });
  }

  updatePolicy(policyId: string, record: unknown): Promise<EngineResult> {
    return this.call('PUT', ['policies', policyId], {}, record);
  }

  deletePolicy(policyId: string): Promise<EngineResult> {
    return this.call('DELETE', ['policies', policyId]);
  }

  listSubscriptions(filter: { key?: string; type?: string } = {}): Promise<EngineResult> {
    return this.call('GET', ['subscriptions'], {
      subscription_key: filter.key,
      subscription_type: filter.type,
    });
  }

  updateSubscription(id: string, body: unknown): Promise<EngineResult> {
    return this.call('PUT', ['subscriptions', id], {}, body);
  }

  deleteSubscription(id: string): Promise<EngineResult> {
    return this.call('DELETE', ['subscriptions', id]);
  }

  /** One registry, or all of them. */
  getRegistries(registry?: string): Promise<EngineResult> {
    return this.call('GET', ['registries', ...(registry === undefined ? [] : [registry])]);
  }

  addRegistry(body: unknown, validate: boolean): Promise<EngineResult> {
    return this.call('POST', ['registries'], { validate: pyBool(validate) }, body);
  }

  updateRegistry(registry: string, body: unknown, validate: boolean): Promise<EngineResult> {
    return this.call('PUT', ['registries', registry], { validate: pyBool(validate) }, body);
  }

  deleteRegistry(registry: string): Promise<EngineResult> {
    return this.call('DELETE', ['registries', registry]);
  }

  systemStatus(): Promise<EngineResult> {
    return this.call('GET', ['system']);
  }

  listFeeds(): Promise<EngineResult> {
    return this.call('GET', ['system', 'feeds']);
  }

  syncFeeds(flush: boolean): Promise<EngineResult> {
    return this.call('POST', ['system', 'feeds'], { flush: pyBool(flush) });
  }

  listEvents(query: Query): Promise<EngineResult> {
    return this.call('GET', ['events'], query);
  }

  getEvent(id: string): Promise<EngineResult> {
    return this.call('GET', ['events', id]);
  }

  deleteEvents(query: Query): Promise<EngineResult> {
    return this.call('DELETE', ['events'], query);
  }

  deleteEvent(id: string): Promise<EngineResult> {
    return this.call('DELETE', ['events', id]);
  }

  /** A route under the API root; path segments are escaped, empty query values left out. */
  private call(
    method: Dispatcher.HttpMethod,
    path: readonly string[],
    query: Query = {},
    body?: unknown,
  ): Promise<EngineResult> {
    const url = new URL(`${this.base}/${path.map(encodeURIComponent).join('/')}`);
    for (const [key, value] of Object.entries(query))
      if (value !== undefined && value !== '') url.searchParams.set(key, value);
    return this.send(method, url.href, body);
  }

  private async send(
    method: Dispatcher.HttpMethod,
    url: string,
    body?: unknown,
  ): Promise<EngineResult> {
    const { user, password, asAccount, userAgent } = this.connection;
    const credentials = `${user ?? 'None'}:${password ?? 'None'}`;
    const undici = await import('undici');
    this.agent ??= new undici.Agent({
      connect: { rejectUnauthorized: this.connection.verifyTls },
    });
    let response: Dispatcher.ResponseData;
    try {
      response = await undici.request(url, {
        method,
        dispatcher: this.agent,
        headers: {
          authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
          // anchore-cli declares JSON on every request, bodiless ones included.
          'content-type': 'application/json',
          'user-agent': userAgent,
          ...(asAccount === undefined ? {} : { 'x-anchore-account': asAccount }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw unreachable(error, url);
    }
    return clientResult(response.statusCode, await response.body.text());
  }
}

const UNAUTHORIZED = 'Unauthorized - please check your username/password';

/** anchore-cli's `make_client_result`: Python's `range(200, 299)` leaves 299 out. */
function clientResult(status: number, text: string): EngineResult {
  const body = jsonOrText(text);
  const success = status >= 200 && status < 299;
  return {
    success,
    httpcode: status,
    payload: success ? body : {},
    error: success ? {} : status === 401 && !pythonTruthy(body) ? UNAUTHORIZED : body,
  };
}

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A request that got no answer; TLS failures name the switch that skips the check. */
function unreachable(error: unknown, url: string): unknown {
  const host = URL.canParse(url) ? new URL(url).host : url;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /CERT|SSL|TLS|EPROTO|UNABLE_TO_VERIFY/.test(code))
    return new DrydockError(
      'registry-unreachable',
      `cannot reach the engine ${host}: TLS failed (${code}); --insecure (or ANCHORE_CLI_SSL_VERIFY=n) skips the certificate check`,
      { cause: error },
    );
  return describeNetworkError(error, 'the engine', host);
}
