// Who one broadcast goes to, kept in per-recipient rows. A recipient's row becomes SENDING (and
// starts counting against the tier) in a committed transaction before the message is sent, so a
// crash can only ever leave a recipient UNCERTAIN, never messaged twice. Batches of one account are
// chosen under an advisory lock, so two broadcasts cannot overrun the number's tier together.
import type { DataSource, EntityManager } from 'typeorm';
import { asPlatform } from '@prasar/persistence';
import { whatsappMessages } from '../metrics';
import type { BroadcastAudience, RecipientResult } from '../platforms/platform';

const DAY_MS = 86_400_000;
/** States in which a recipient counts as messaged for the rolling tier window. */
const COUNTED = `('SENDING', 'SENT', 'UNCERTAIN')`;

export interface AudienceClaim {
  publicationId: string;
  accountId: string;
  /** The job attempt doing the sending: the fence every write checks. */
  attempt: number;
  /** Unique recipients per rolling 24 hours. */
  tier: number;
}

export class DbBroadcastAudience implements BroadcastAudience {
  /** Whether this attempt sent anything. */
  progressed = false;

  constructor(
    private readonly ds: DataSource,
    private readonly claim: AudienceClaim,
    private readonly batchSize: number,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Fixes the recipients on the first attempt (the subscribers opted in at that moment) and marks
   * recipients an earlier, dead attempt left SENDING as UNCERTAIN: they are not messaged again.
   */
  async prepare(): Promise<void> {
    const now = this.clock();
    await asPlatform(this.ds, async (em) => {
      await em.query(
        `UPDATE whatsapp_deliveries SET state = 'UNCERTAIN', updated_at = $3,
           error = 'The sender stopped before recording whether this message went out'
         WHERE publication_id = $1 AND state = 'SENDING' AND (attempt IS NULL OR attempt < $2)`,
        [this.claim.publicationId, this.claim.attempt, now],
      );
      const [job] = await em.query(`SELECT audience_built_at FROM publish_jobs WHERE publication_id = $1`, [
        this.claim.publicationId,
      ]);
      if (job?.audience_built_at) return;
      await em.query(
        `INSERT INTO whatsapp_deliveries (publication_id, wa_id, account_id, department_id, state, updated_at)
         SELECT $1, wa_id, account_id, department_id, 'PENDING', $3 FROM whatsapp_subscribers
         WHERE account_id = $2 AND opted_out_at IS NULL
         ON CONFLICT DO NOTHING`,
        [this.claim.publicationId, this.claim.accountId, now],
      );
      await em.query(
        `UPDATE publish_jobs SET audience_built_at = $2 WHERE publication_id = $1 AND state = 'IN_FLIGHT' AND attempts = $3`,
        [this.claim.publicationId, now, this.claim.attempt],
      );
    });
  }

  async size(): Promise<number> {
    return this.count(`publication_id = $1`);
  }

  /**
   * Recipients messaged for this publication. First, an UNCERTAIN recipient (its send timed out)
   * whom WhatsApp has since reported a status for, by a message no delivery row claims, is
   * confirmed SENT with that message id: the status proves the message went out.
   */
  async sentCount(): Promise<number> {
    await asPlatform(this.ds, (em) =>
      em.query(
        `UPDATE whatsapp_deliveries d SET state = 'SENT', message_id = s.message_id, error = NULL, updated_at = $2
         FROM whatsapp_message_statuses s
         WHERE d.publication_id = $1 AND d.state = 'UNCERTAIN' AND d.message_id IS NULL
           AND s.account_id = d.account_id AND s.recipient_id = d.wa_id AND s.updated_at >= d.sent_at
           AND NOT EXISTS (SELECT 1 FROM whatsapp_deliveries o WHERE o.message_id = s.message_id)
           AND (SELECT count(*) FROM whatsapp_message_statuses s2
                WHERE s2.account_id = d.account_id AND s2.recipient_id = d.wa_id AND s2.updated_at >= d.sent_at
                  AND NOT EXISTS (SELECT 1 FROM whatsapp_deliveries o2 WHERE o2.message_id = s2.message_id)) = 1`,
        [this.claim.publicationId, this.clock()],
      ),
    );
    return this.count(`publication_id = $1 AND state = 'SENT'`);
  }

  async nextBatch(): Promise<{ recipients: string[]; deferredUntil: Date | null; lost: boolean }> {
    const now = this.clock();
    const { publicationId, accountId, attempt, tier } = this.claim;
    return asPlatform(this.ds, async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`whatsapp-tier:${accountId}`]);
      const [held] = await em.query(
        `SELECT 1 FROM publish_jobs WHERE publication_id = $1 AND state = 'IN_FLIGHT' AND attempts = $2`,
        [publicationId, attempt],
      );
      if (!held) return { recipients: [], deferredUntil: null, lost: true };
      // An opt-out takes effect at once: before this batch, not at the next broadcast.
      await em.query(
        `UPDATE whatsapp_deliveries d SET state = 'SKIPPED_OPTED_OUT', error = 'Opted out', updated_at = $2
         FROM whatsapp_subscribers s
         WHERE d.publication_id = $1 AND d.state = 'PENDING'
           AND s.account_id = d.account_id AND s.wa_id = d.wa_id AND s.opted_out_at IS NOT NULL`,
        [publicationId, now],
      );
      const since = new Date(now.getTime() - DAY_MS);
      const [{ used }] = await em.query(
        `SELECT count(DISTINCT wa_id)::int AS used FROM whatsapp_deliveries
         WHERE account_id = $1 AND state IN ${COUNTED} AND sent_at > $2`,
        [accountId, since],
      );
      const candidates: { wa_id: string; in_window: boolean }[] = await em.query(
        `SELECT d.wa_id, EXISTS (SELECT 1 FROM whatsapp_deliveries w
                                 WHERE w.account_id = d.account_id AND w.wa_id = d.wa_id
                                   AND w.state IN ${COUNTED} AND w.sent_at > $2) AS in_window
         FROM whatsapp_deliveries d WHERE d.publication_id = $1 AND d.state = 'PENDING'
         ORDER BY in_window DESC, d.wa_id LIMIT $3`,
        [publicationId, since, this.batchSize],
      );
      let room = tier - used;
      const recipients: string[] = [];
      for (const c of candidates) {
        // Someone already messaged in the window costs nothing more; a new recipient takes a place.
        if (c.in_window) recipients.push(c.wa_id);
        else if (room > 0) {
          recipients.push(c.wa_id);
          room--;
        }
      }
      if (recipients.length === 0)
        return {
          recipients,
          deferredUntil: candidates.length ? await this.nextRoom(em, since) : null,
          lost: false,
        };
      await em.query(
        `UPDATE whatsapp_deliveries SET state = 'SENDING', attempt = $3, sent_at = $4, updated_at = $4
         WHERE publication_id = $1 AND wa_id = ANY($2::text[]) AND state = 'PENDING'`,
        [publicationId, recipients, attempt, now],
      );
      return { recipients, deferredUntil: null, lost: false };
    });
  }

  async record(results: RecipientResult[]): Promise<void> {
    if (results.length === 0) return;
    const now = this.clock();
    const { publicationId, accountId, attempt } = this.claim;
    await asPlatform(this.ds, async (em) => {
      for (const r of results) {
        const fence = [publicationId, r.waId, attempt, now];
        switch (r.kind) {
          case 'sent':
            this.progressed = true;
            await em.query(
              `UPDATE whatsapp_deliveries SET state = 'SENT', message_id = $5, error = NULL, updated_at = $4
               WHERE publication_id = $1 AND wa_id = $2 AND attempt = $3 AND state = 'SENDING'`,
              [...fence, r.messageId],
            );
            break;
          case 'uncertain':
            await em.query(
              `UPDATE whatsapp_deliveries SET state = 'UNCERTAIN', error = $5, updated_at = $4
               WHERE publication_id = $1 AND wa_id = $2 AND attempt = $3 AND state = 'SENDING'`,
              [...fence, r.error],
            );
            break;
          case 'not-sent':
            // Answered "not now" (or never reached WhatsApp): back in the queue, not counted.
            await em.query(
              `UPDATE whatsapp_deliveries SET state = 'PENDING', attempt = NULL, sent_at = NULL, error = $5,
                 updated_at = $4
               WHERE publication_id = $1 AND wa_id = $2 AND attempt = $3 AND state = 'SENDING'`,
              [...fence, r.error],
            );
            break;
          case 'failed':
          case 'opted-out':
            await em.query(
              `UPDATE whatsapp_deliveries SET state = $5, sent_at = NULL, error = $6, updated_at = $4
               WHERE publication_id = $1 AND wa_id = $2 AND attempt = $3 AND state = 'SENDING'`,
              [...fence, r.kind === 'failed' ? 'FAILED' : 'SKIPPED_OPTED_OUT', r.error],
            );
            if (r.kind === 'opted-out')
              await em.query(
                `UPDATE whatsapp_subscribers SET opted_out_at = $3, opt_out_evidence = $4
                 WHERE account_id = $1 AND wa_id = $2 AND opted_out_at IS NULL`,
                [
                  accountId,
                  r.waId,
                  now,
                  `WhatsApp refused the message as opted out: ${r.error}`.slice(0, 500),
                ],
              );
            break;
        }
        whatsappMessages.add(1, { outcome: r.kind.replace('-', '_') });
      }
    });
  }

  /** When the oldest recipient of the window drops out of it, making room for one more. */
  private async nextRoom(em: EntityManager, since: Date): Promise<Date> {
    const [{ oldest }] = await em.query(
      `SELECT min(last) AS oldest FROM (
         SELECT max(sent_at) AS last FROM whatsapp_deliveries
         WHERE account_id = $1 AND state IN ${COUNTED} AND sent_at > $2 GROUP BY wa_id) t`,
      [this.claim.accountId, since],
    );
    const at = oldest ? new Date(oldest).getTime() + DAY_MS : this.clock().getTime() + 60_000;
    return new Date(at);
  }

  private async count(where: string): Promise<number> {
    const [{ n }] = await asPlatform(this.ds, (em) =>
      em.query(`SELECT count(*)::int AS n FROM whatsapp_deliveries WHERE ${where}`, [
        this.claim.publicationId,
      ]),
    );
    return n;
  }
}
