// Outgoing webhooks, signed the way Meta signs them (X-Hub-Signature-256: HMAC-SHA256 of the raw
// body with the app secret). Deliveries to one URL go in order, one at a time, so a receiver sees
// `sent` before `delivered` before `read`; settle() waits until everything queued was attempted.
import { createHmac } from 'node:crypto';
import type { Logger } from '@prasar/telemetry';
import type { WebhookTarget } from './state';

export interface WebhookDelivery {
  url: string;
  /** What the payload carried, e.g. `statuses:sent` or `messages:text`. */
  event: string;
  /** The receiver's HTTP status, or null when it could not be reached. */
  status: number | null;
  error?: string;
  payload: unknown;
}

const MAX_KEPT_DELIVERIES = 10_000;

/** The `X-Hub-Signature-256` value for a body. */
export function signatureOf(body: string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

export class WebhookDispatcher {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly log: WebhookDelivery[] = [];
  private readonly aborter = new AbortController();

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  enqueue(target: WebhookTarget, event: string, payload: unknown): void {
    const previous = this.queues.get(target.url) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(target, event, payload));
    this.queues.set(target.url, next);
    void next.finally(() => {
      if (this.queues.get(target.url) === next) this.queues.delete(target.url);
    });
  }

  /** Resolves once every queued delivery has been attempted (including ones queued meanwhile). */
  async settle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  deliveries(): WebhookDelivery[] {
    return [...this.log];
  }

  clear(): void {
    this.log.length = 0;
  }

  /** Abandons deliveries in flight (server shutdown). */
  close(): void {
    this.aborter.abort();
  }

  private async deliver(target: WebhookTarget, event: string, payload: unknown): Promise<void> {
    const body = JSON.stringify(payload);
    const record: WebhookDelivery = { url: target.url, event, status: null, payload };
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': signatureOf(body, target.appSecret),
        },
        body,
        signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(this.timeoutMs)]),
      });
      record.status = res.status;
      await res.body?.cancel();
    } catch (err) {
      record.error = err instanceof Error ? err.message : String(err);
      this.logger.warn({ url: target.url, event, err: record.error }, 'webhook delivery failed');
    }
    this.log.push(record);
    if (this.log.length > MAX_KEPT_DELIVERIES) this.log.shift();
  }
}
