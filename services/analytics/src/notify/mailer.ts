import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import { DataSource, asPlatform } from '@prasar/persistence';
import { PeriodicTask } from '@prasar/service';
import { createLogger } from '@prasar/telemetry';

export interface MailerOptions {
  /** smtp://[user:password@]host:port or smtps://… (SMTP_URL); no mail is sent without it. */
  smtpUrl?: string;
  /** The sender (MAIL_FROM). */
  from: string;
  /** How often the outbox is looked at (MAIL_POLL_MS). */
  intervalMs: number;
  /** Mails claimed per round. */
  batchSize?: number;
}
export const MAILER_OPTIONS = Symbol('MAILER_OPTIONS');

/** Wait before the next attempt after `attempts` failures: 5 s doubling, at most an hour. */
export const retryDelayMs = (attempts: number) => Math.min(3_600_000, 5_000 * 2 ** Math.max(0, attempts - 1));

interface Due {
  notification_id: string;
  recipients: string[];
  message_id: string;
  subject: string;
  body: string;
  attempts: number;
}

/**
 * Delivers the mail outbox over SMTP, at least once: a mail is claimed with `FOR UPDATE SKIP
 * LOCKED` (so replicas never send the same one at once), sent, and marked sent in the claiming
 * transaction. A crash between the SMTP server's acceptance and the commit sends it again with the
 * same Message-ID (the notification's id), which mail clients recognise as the same message; a
 * refusal or an unreachable server is retried with backoff, nothing is lost.
 */
@Injectable()
export class Mailer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = createLogger('mailer');
  private readonly loop: PeriodicTask;
  private readonly transport?: Transporter;

  constructor(
    private readonly ds: DataSource,
    @Inject(MAILER_OPTIONS) private readonly options: MailerOptions,
  ) {
    this.loop = new PeriodicTask('mailer', options.intervalMs, () => this.deliver(), this.logger);
    if (options.smtpUrl) {
      // The URL's own settings, bounded so a hung server cannot hold a round.
      const url = new URL(options.smtpUrl);
      this.transport = nodemailer.createTransport({
        host: url.hostname,
        port: Number(url.port) || (url.protocol === 'smtps:' ? 465 : 587),
        secure: url.protocol === 'smtps:',
        auth: url.username
          ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
          : undefined,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 20_000,
      });
    }
  }

  onApplicationBootstrap(): void {
    if (this.transport) this.loop.start({ immediate: true });
    else this.logger.warn('SMTP_URL is not set: notifications are recorded, no mail is sent');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
    this.transport?.close();
  }

  /** Stops the rounds and waits for one in progress (`deliver` still works when called). */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** One round: sends every due mail; returns how many were sent. */
  async deliver(): Promise<number> {
    const transport = this.transport;
    if (!transport) return 0;
    let sent = 0;
    for (;;) {
      const claimed = await asPlatform(this.ds, async (em) => {
        const due: Due[] = await em.query(
          `SELECT notification_id, recipients, message_id, subject, body, attempts FROM notification_emails
            WHERE sent_at IS NULL AND next_attempt_at <= now()
            ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [this.options.batchSize ?? 20],
        );
        for (const m of due) {
          try {
            await transport.sendMail({
              from: this.options.from,
              to: m.recipients,
              subject: m.subject,
              text: m.body,
              messageId: m.message_id,
              headers: { 'X-Prasar-Notification': m.notification_id },
            });
            await em.query(
              `UPDATE notification_emails SET sent_at = now(), last_error = NULL WHERE notification_id = $1`,
              [m.notification_id],
            );
            sent++;
          } catch (err) {
            const attempts = m.attempts + 1;
            this.logger.warn(
              { err, notificationId: m.notification_id, attempts },
              'mail not accepted; will retry',
            );
            await em.query(
              `UPDATE notification_emails
                  SET attempts = $2, last_error = $3, next_attempt_at = now() + $4 * interval '1 millisecond'
                WHERE notification_id = $1`,
              [
                m.notification_id,
                attempts,
                String((err as Error).message).slice(0, 500),
                retryDelayMs(attempts),
              ],
            );
          }
        }
        return due.length;
      });
      if (claimed < (this.options.batchSize ?? 20)) return sent;
    }
  }
}
