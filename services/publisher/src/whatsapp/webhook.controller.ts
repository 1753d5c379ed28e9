// WhatsApp's webhooks: inbound messages (a STOP opts the sender out at once, a START opts them in
// with the message as evidence) and delivery statuses (kept per message; they become the
// broadcast's engagement).
// Every delivery is checked against X-Hub-Signature-256, the HMAC-SHA256 of the raw body under
// the Meta app secret, before anything in it is believed. A signature proves who sent it, not
// when: an inbound message is acted on once (its WhatsApp id is remembered), only within
// WHATSAPP_WEBHOOK_MAX_AGE_SECONDS of its own timestamp, and consent changes are ordered by that
// timestamp, so a START captured and replayed after a STOP opts nobody back in.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  Controller,
  ForbiddenException,
  Get,
  HttpCode,
  Inject,
  Post,
  Query,
  Req,
  ServiceUnavailableException,
  UnauthorizedException,
  type RawBodyRequest,
} from '@nestjs/common';
import type { Request } from 'express';
import { DataSource, type EntityManager } from 'typeorm';
import { asPlatform } from '@prasar/persistence';
import { createLogger } from '@prasar/telemetry';
import { SocialAccount } from '../accounts/account.entity';
import { intentOf, SubscribersService, waIdOf } from './subscribers.service';

const logger = createLogger('whatsapp-webhook');

export interface WebhookOptions {
  /** The Meta app secret (WHATSAPP_APP_SECRET); without it every delivery is refused. */
  appSecret?: string;
  /** The verify token of the subscription handshake (WHATSAPP_VERIFY_TOKEN). */
  verifyToken?: string;
  /** Inbound messages older than this, by their own timestamp, are not acted on (default a day). */
  maxMessageAgeSeconds?: number;
}

/** Equal strings, compared in constant time (their digests, so the length does not leak either). */
export function sameSecret(given: string | undefined, expected: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest();
  return given !== undefined && timingSafeEqual(digest(given), digest(expected));
}

export const WEBHOOK_OPTIONS = Symbol('WEBHOOK_OPTIONS');

interface InboundMessage {
  from?: string;
  id?: string;
  timestamp?: string;
  type?: string;
  text?: { body?: string };
}

interface StatusUpdate {
  id?: string;
  status?: string;
  recipient_id?: string;
  errors?: { code?: number; title?: string }[];
}

interface Envelope {
  object?: string;
  entry?: {
    changes?: {
      field?: string;
      value?: {
        metadata?: { phone_number_id?: string };
        messages?: InboundMessage[];
        statuses?: StatusUpdate[];
      };
    }[];
  }[];
}

/** Whether `header` is `sha256=<hex>` of the body under the secret (compared in constant time). */
export function signatureMatches(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header ?? '');
  if (!match) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(match[1], 'hex'));
}

/** Later statuses never give way to earlier ones arriving late. */
const STATUS_RANK: Record<string, number> = { sent: 1, delivered: 2, read: 3, failed: 4 };

@Controller('webhooks/whatsapp')
export class WhatsAppWebhookController {
  constructor(
    private readonly ds: DataSource,
    private readonly subscribers: SubscribersService,
    @Inject(WEBHOOK_OPTIONS) private readonly options: WebhookOptions,
  ) {}

  /** Meta's subscription handshake: echo the challenge when the verify token matches. */
  @Get()
  verify(
    @Query('hub.mode') mode?: string,
    @Query('hub.verify_token') token?: string,
    @Query('hub.challenge') challenge?: string,
  ): string {
    if (!this.options.verifyToken)
      throw new ServiceUnavailableException('WHATSAPP_VERIFY_TOKEN is not configured');
    if (mode !== 'subscribe' || !sameSecret(token, this.options.verifyToken)) throw new ForbiddenException();
    return challenge ?? '';
  }

  @Post()
  @HttpCode(200)
  async receive(@Req() req: RawBodyRequest<Request>): Promise<{ received: true }> {
    if (!this.options.appSecret)
      throw new ServiceUnavailableException('WHATSAPP_APP_SECRET is not configured');
    const raw = req.rawBody;
    const signature = req.headers['x-hub-signature-256'];
    if (
      !raw ||
      !signatureMatches(raw, typeof signature === 'string' ? signature : undefined, this.options.appSecret)
    ) {
      logger.warn({ hasBody: Boolean(raw) }, 'WhatsApp webhook with a missing or wrong signature refused');
      throw new UnauthorizedException('The X-Hub-Signature-256 signature does not match');
    }
    await this.handle(req.body as Envelope);
    return { received: true };
  }

  /** Applies one (verified) delivery. */
  async handle(envelope: Envelope, now = new Date()): Promise<void> {
    if (envelope.object !== 'whatsapp_business_account') return;
    await asPlatform(this.ds, async (em) => {
      for (const change of (envelope.entry ?? []).flatMap((e) => e.changes ?? [])) {
        const value = change.value;
        const phoneNumberId = value?.metadata?.phone_number_id;
        if (change.field !== 'messages' || !value || !phoneNumberId) continue;
        const account = await em.findOneBy(SocialAccount, {
          platform: 'WHATSAPP',
          externalAccountId: phoneNumberId,
        });
        if (!account) {
          logger.warn({ phoneNumberId }, 'webhook for a phone number no account has');
          continue;
        }
        for (const message of value.messages ?? []) await this.inbound(em, account, message, now);
        for (const status of value.statuses ?? []) await this.status(em, account, status, now);
      }
    });
  }

  private async inbound(
    em: EntityManager,
    account: SocialAccount,
    m: InboundMessage,
    now: Date,
  ): Promise<void> {
    if (m.type !== 'text' || !m.from || !m.text?.body) return;
    const intent = intentOf(m.text.body);
    if (!intent) return;
    const sentAt =
      m.timestamp && /^\d{1,12}$/.test(m.timestamp) ? new Date(Number(m.timestamp) * 1000) : null;
    if (!m.id || !sentAt) {
      logger.warn({ accountId: account.id }, 'WhatsApp message without an id or timestamp: not acted on');
      return;
    }
    const maxAgeMs = (this.options.maxMessageAgeSeconds ?? 86_400) * 1000;
    if (now.getTime() - sentAt.getTime() > maxAgeMs) {
      logger.warn(
        { accountId: account.id, messageId: m.id },
        'stale WhatsApp message (a replay?): not acted on',
      );
      return;
    }
    const [first] = (await em.query(
      `INSERT INTO whatsapp_webhook_messages (message_id, account_id, department_id, sent_at, received_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (message_id) DO NOTHING RETURNING message_id`,
      [m.id, account.id, account.departmentId, sentAt, now],
    )) as unknown[];
    if (!first) {
      logger.warn(
        { accountId: account.id, messageId: m.id },
        'WhatsApp message seen before (a replay?): not acted on',
      );
      return;
    }
    // Consent changes are ordered by when the person sent them, not when they reached us.
    const at = sentAt.getTime() < now.getTime() ? sentAt : now;
    const evidence = `WhatsApp message ${m.id} "${m.text.body.trim()}" sent ${m.timestamp}`;
    if (intent === 'opt-out') await this.subscribers.optOut(em, account, waIdOf(m.from), at, evidence);
    if (intent === 'opt-in')
      await this.subscribers.optIn(
        em,
        account,
        waIdOf(m.from),
        at,
        'whatsapp-message',
        evidence,
        'whatsapp-webhook',
      );
  }

  private async status(em: EntityManager, account: SocialAccount, s: StatusUpdate, now: Date): Promise<void> {
    if (!s.id || !s.status || !(s.status in STATUS_RANK) || !s.recipient_id) return;
    const error = s.errors?.map((e) => `${e.code ?? ''} ${e.title ?? ''}`.trim()).join('; ') || null;
    await em.query(
      `INSERT INTO whatsapp_message_statuses (message_id, account_id, department_id, recipient_id, status, error, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (message_id) DO UPDATE SET status = EXCLUDED.status, error = COALESCE(EXCLUDED.error, whatsapp_message_statuses.error),
         updated_at = EXCLUDED.updated_at
       WHERE (CASE whatsapp_message_statuses.status WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 ELSE 4 END) < $8`,
      [
        s.id,
        account.id,
        account.departmentId,
        waIdOf(s.recipient_id),
        s.status,
        error,
        now,
        STATUS_RANK[s.status],
      ],
    );
  }
}
