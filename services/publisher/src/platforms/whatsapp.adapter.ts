// WhatsApp Cloud API. WhatsApp has no API for Channels: a publication is a broadcast of the
// account's approved template (the text as its one body parameter) to the opted-in subscribers,
// one `POST /{phone-number-id}/messages` per recipient. Who gets a message is decided batch by
// batch by the broadcast audience (per-recipient rows, the daily tier, opt-outs); the adapter only
// sends and says what happened to each message.
import { bearer, graphErrorOf, graphFailure, graphPath, graphReason } from './graph';
import { isFailure, send, urlOf } from './http';
import {
  noEngagement,
  type AdapterOptions,
  type CallFailure,
  type CallOutcome,
  type EngagementCounts,
  type InsightsOutcome,
  type InsightsRequest,
  type LookupOutcome,
  type PlatformAdapter,
  type PublishSession,
  type PublishTarget,
  type RecipientResult,
} from './platform';

/** The recipient opted out of this business's messages (#131050). */
const OPTED_OUT = 131050;
/** Errors that are about one recipient only: an invalid or unusable number. */
const RECIPIENT_ERRORS = new Set([131009, 131026, 131021]);

/** A broadcast's id: ours, since WhatsApp has one id per message, not per broadcast. */
export function broadcastIdOf(publicationId: string): string {
  return `wa-broadcast-${publicationId}`;
}

type SendResult = RecipientResult | { waId: string; kind: 'stop'; failure: CallFailure };

export class WhatsAppAdapter implements PlatformAdapter {
  readonly platform = 'WHATSAPP' as const;

  constructor(private readonly options: AdapterOptions) {}

  async publish(target: PublishTarget, session: PublishSession): Promise<CallOutcome> {
    const audience = session.audience;
    if (!audience) throw new Error('a WhatsApp broadcast needs its audience');
    if (!target.account.whatsappTemplate)
      return {
        kind: 'refused',
        httpStatus: 0,
        error: 'The account has no approved template to broadcast with',
      };
    if ((await audience.size()) === 0)
      return { kind: 'refused', httpStatus: 0, error: 'The account has no opted-in WhatsApp subscribers' };
    for (;;) {
      const batch = await audience.nextBatch();
      if (batch.lost)
        return { kind: 'uncertain', httpStatus: 0, error: 'Another worker took the broadcast over' };
      if (batch.recipients.length === 0) {
        if (batch.deferredUntil)
          return {
            kind: 'rate-limited',
            httpStatus: 0,
            error: 'The daily tier of unique recipients is used up; the rest of the broadcast waits',
            retryAfterMs: Math.max(0, batch.deferredUntil.getTime() - Date.now()),
          };
        return {
          kind: 'published',
          httpStatus: 200,
          externalId: broadcastIdOf(target.publicationId),
          url: null,
          recipients: await audience.sentCount(),
        };
      }
      const results = await this.sendAll(target, batch.recipients);
      await audience.record(results.map((r) => (r.kind === 'stop' ? this.unsent(r.waId, r.failure) : r)));
      const stop = results.find((r): r is Extract<SendResult, { kind: 'stop' }> => r.kind === 'stop');
      if (stop) return stop.failure;
      if (!(await session.extendLease()))
        return { kind: 'uncertain', httpStatus: 0, error: 'Another worker took the broadcast over' };
    }
  }

  /** Recipients are tracked one by one, so there is no post to look for: the broadcast resumes. */
  async lookup(): Promise<LookupOutcome> {
    return { kind: 'absent', httpStatus: 0 };
  }

  /** Delivery statuses from the webhooks stand in for insights: delivered is reach, read is impressions. */
  async insights(req: InsightsRequest): Promise<InsightsOutcome> {
    const metrics = new Map<string, EngagementCounts>();
    for (const id of req.externalIds) {
      const counts = req.broadcasts?.get(id) ?? { sent: 0, delivered: 0, read: 0 };
      metrics.set(id, { ...noEngagement(), reach: counts.delivered, impressions: counts.read });
    }
    return { kind: 'metrics', metrics };
  }

  private unsent(waId: string, failure: CallFailure): RecipientResult {
    return failure.kind === 'uncertain'
      ? { waId, kind: 'uncertain', error: failure.error }
      : { waId, kind: 'not-sent', error: failure.error };
  }

  /** Sends to every recipient of a batch, a few at a time; once one says stop, the rest are not sent. */
  private async sendAll(target: PublishTarget, recipients: string[]): Promise<SendResult[]> {
    const results: SendResult[] = [];
    let stopped: CallFailure | null = null;
    let next = 0;
    const worker = async () => {
      while (next < recipients.length) {
        const waId = recipients[next++];
        if (stopped) {
          results.push({ waId, kind: 'not-sent', error: `not sent: ${stopped.error}` });
          continue;
        }
        const result = await this.sendOne(target, waId);
        if (result.kind === 'stop') stopped ??= result.failure;
        results.push(result);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, recipients.length) }, worker));
    return results;
  }

  private async sendOne(target: PublishTarget, waId: string): Promise<SendResult> {
    const account = target.account;
    const reply = await send(
      urlOf(account.baseUrl, graphPath(this.options.graphVersion, account.externalAccountId, 'messages')),
      {
        method: 'POST',
        headers: bearer(target.secrets),
        body: {
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          to: waId,
          type: 'template',
          template: {
            name: account.whatsappTemplate,
            language: { code: account.whatsappTemplateLanguage ?? 'hi' },
            components: [{ type: 'body', parameters: [{ type: 'text', text: target.text }] }],
          },
        },
      },
      this.options.timeoutMs,
    );
    if (isFailure(reply)) return { waId, kind: 'stop', failure: reply };
    if (reply.status === 200) {
      const id = (reply.body as { messages?: { id?: string }[] }).messages?.[0]?.id;
      return id
        ? { waId, kind: 'sent', messageId: id }
        : { waId, kind: 'uncertain', error: 'WhatsApp accepted the message without an id' };
    }
    const code = graphErrorOf(reply).code ?? 0;
    if (code === OPTED_OUT) return { waId, kind: 'opted-out', error: graphReason(reply) };
    if (RECIPIENT_ERRORS.has(code)) return { waId, kind: 'failed', error: graphReason(reply) };
    // Anything else (template paused, tier reached, token, outage) stops the whole batch.
    return { waId, kind: 'stop', failure: graphFailure(reply) };
  }
}
