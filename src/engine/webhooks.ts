/**
 * Webhook notifications: every event an account records is POSTed as JSON to the configured
 * URL (`{account}` and `{type}` in it are filled in, so each account can have its own endpoint).
 * With a secret, the body is signed: `X-Drydock-Signature: sha256=<HMAC-SHA256 of the body>`.
 * A failed delivery (network error, non-2xx) is retried with backoff; deliveries live in this
 * process's memory, so a restart drops the ones still being retried (the event itself is kept).
 */
import { createHmac } from 'node:crypto';
import { request } from 'undici';

export interface WebhookConfig {
  url: string;
  secret?: string;
  /** Attempts per event, the first included. Default 4. */
  attempts?: number;
  /** First retry delay; each retry waits twice as long. Default 1 s. */
  backoffMs?: number;
}

export interface WebhookEvent {
  account: string;
  type: string;
  level: string;
  resource_type: string;
  resource_id: string;
  message: string;
  details: unknown;
  created_at: string;
  event_id: string;
}

const TIMEOUT_MS = 10_000;

export class WebhookNotifier {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly config: WebhookConfig) {}

  notify(event: WebhookEvent): void {
    const delivery = this.deliver(event).finally(() => this.pending.delete(delivery));
    this.pending.add(delivery);
  }

  /** Waits for the deliveries in flight (shutdown, tests). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private async deliver(event: WebhookEvent): Promise<void> {
    const url = this.config.url
      .replaceAll('{account}', encodeURIComponent(event.account))
      .replaceAll('{type}', encodeURIComponent(event.type));
    const body = JSON.stringify({ notification_type: event.type, account: event.account, event });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-drydock-event': event.type,
      'x-drydock-delivery': event.event_id,
    };
    if (this.config.secret !== undefined && this.config.secret !== '')
      headers['x-drydock-signature'] =
        `sha256=${createHmac('sha256', this.config.secret).update(body).digest('hex')}`;
    const attempts = this.config.attempts ?? 4;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const problem = await post(url, body, headers);
      if (problem === undefined) return;
      if (attempt === attempts) {
        process.stderr.write(
          `drydock engine: webhook ${event.type} for ${event.account} not delivered after ${String(attempts)} attempts: ${problem}\n`,
        );
        return;
      }
      await new Promise((resolve) =>
        setTimeout(resolve, (this.config.backoffMs ?? 1000) * 2 ** (attempt - 1)),
      );
    }
  }
}

/** Undefined when delivered, else what went wrong. */
async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<string | undefined> {
  try {
    const response = await request(url, {
      method: 'POST',
      body,
      headers,
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
    await response.body.dump();
    return response.statusCode >= 200 && response.statusCode < 300
      ? undefined
      : `HTTP ${String(response.statusCode)}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
