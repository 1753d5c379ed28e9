import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Violation } from '@prasar/auth';
import { toBinary } from '@bufbuild/protobuf';
import {
  ContentSnapshotSchema,
  HoldReason,
  type PublicationCancelled,
  type PublicationHeld,
  type PublishRequested,
} from '@prasar/contracts';
import { EventPublisher, UntrustedEventError } from '@prasar/kafka';
import { asPlatform } from '@prasar/persistence';
import { createLogger } from '@prasar/telemetry';
import { SocialAccount } from '../accounts/account.entity';
import { AccountsService, type OpenedSecrets } from '../accounts/accounts.service';
import { KeyRingError } from '../accounts/credentials';
import { isUuid } from '../ids';
import { publishOutcomes } from '../metrics';
import type { CallOutcome, LookupOutcome } from '../platforms/platform';
import { retryDelayMs } from './backoff';
import { CompliancePolicies } from './compliance-policy';
import {
  decodeSnapshot,
  platformOf,
  postTextOf,
  renderForAccount,
  textHashOf,
  violationReason,
  type RenderedPost,
} from './content';
import { PublishAttempt, PublishJob, type AttemptOutcome } from './publish-job.entity';
import { PublishEvents } from './publish.events';

const logger = createLogger('publish-jobs');

/** The hold reason of a job the scheduler held for a Model Code of Conduct window. */
const BLACKOUT = 'BLACKOUT';

export interface PublishJobOptions {
  /** How long a claim protects a job (PUBLISHER_LEASE_MS). */
  leaseMs: number;
  /** Calls before a retryable failure becomes final (PUBLISHER_MAX_ATTEMPTS). */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** When a published post's engagement is first read (ENGAGEMENT_POLL_INTERVAL_MS). */
  engagementIntervalMs: number;
}

export const PUBLISH_JOB_OPTIONS = Symbol('PUBLISH_JOB_OPTIONS');

/** A job a worker holds: everything the platform call needs, read in the claiming transaction. */
export interface ClaimedJob {
  job: PublishJob;
  attempt: PublishAttempt;
  account: SocialAccount;
  secrets: OpenedSecrets;
  post: RenderedPost;
  /** The previous call may have posted: look it up before anything is sent. */
  reconcileFirst: boolean;
  /** Compliance violations found at claim time (only ever carried when reconciling first). */
  violations: Violation[];
}

/** What one attempt came to. */
export interface AttemptResult {
  outcome: CallOutcome | Extract<LookupOutcome, { kind: 'found' }>;
  /** Found by a look-up rather than made by this attempt's call. */
  reconciled: boolean;
  /** Whether a needed look-up got a definite answer (found or absent). */
  lookupDone: boolean;
  /** WhatsApp: messages went out in this attempt (a slow broadcast is not a failing one). */
  progressed: boolean;
}

const OUTCOME: Record<AttemptResult['outcome']['kind'], AttemptOutcome> = {
  published: 'PUBLISHED',
  found: 'PUBLISHED',
  'rate-limited': 'RATE_LIMITED',
  unavailable: 'UNAVAILABLE',
  uncertain: 'UNCERTAIN',
  refused: 'REFUSED',
  unauthorized: 'UNAUTHORIZED',
};

/**
 * The durable side of publishing: jobs from PublishRequested, claims with FOR UPDATE SKIP LOCKED,
 * and outcomes recorded with their events in one transaction each. The platform call happens
 * between a claim and its outcome, outside any transaction.
 */
@Injectable()
export class PublishJobs {
  readonly events: PublishEvents;

  constructor(
    private readonly ds: DataSource,
    publisher: EventPublisher,
    private readonly accounts: AccountsService,
    private readonly policies: CompliancePolicies,
    @Inject(PUBLISH_JOB_OPTIONS) private readonly options: PublishJobOptions,
  ) {
    this.events = new PublishEvents(publisher);
  }

  /**
   * PublishRequested: one durable job per publication. A repeated request changes nothing for a
   * job that is pending, in flight or finished; a held job is looked at again at once.
   */
  async requested(em: EntityManager, e: PublishRequested, now = new Date()): Promise<void> {
    const platform = platformOf(e.platform);
    if (!e.publicationId || !isUuid(e.contentId) || !isUuid(e.departmentId) || !platform || !e.snapshot) {
      logger.warn(
        { publicationId: e.publicationId },
        'PublishRequested without ids, platform or snapshot: ignored',
      );
      return;
    }
    // A request to post for one department on another department's account is never carried out.
    const account = isUuid(e.accountId) ? await em.findOneBy(SocialAccount, { id: e.accountId }) : null;
    if (account && account.departmentId !== e.departmentId) {
      throw new UntrustedEventError(
        `PublishRequested ${e.publicationId} for department ${e.departmentId} names account ${e.accountId} of another department`,
      );
    }
    await em.query(
      `INSERT INTO publish_jobs (publication_id, content_id, department_id, account_id, platform, content_version,
         requested_attempt, snapshot, state, next_attempt_at, reconcile_first, attempts, reconciled, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'PENDING', $9, false, 0, false, $9, $9)
       ON CONFLICT (publication_id) DO UPDATE SET
         requested_attempt = GREATEST(publish_jobs.requested_attempt, EXCLUDED.requested_attempt),
         state = CASE WHEN publish_jobs.state = 'HELD' THEN 'PENDING' ELSE publish_jobs.state END,
         hold_reason = CASE WHEN publish_jobs.state = 'HELD' OR publish_jobs.hold_reason = '${BLACKOUT}'
                            THEN NULL ELSE publish_jobs.hold_reason END,
         next_attempt_at = CASE WHEN publish_jobs.state = 'HELD' THEN EXCLUDED.next_attempt_at
                                ELSE publish_jobs.next_attempt_at END,
         updated_at = EXCLUDED.updated_at`,
      [
        e.publicationId,
        e.contentId,
        e.departmentId,
        e.accountId,
        platform,
        e.contentVersion,
        e.attempt,
        Buffer.from(toBinary(ContentSnapshotSchema, e.snapshot)),
        now,
      ],
    );
  }

  /**
   * PublicationHeld for a blackout (the scheduler holds a publication it had handed over): a
   * waiting or held job is held for the window, and a job in flight is marked so that, if its call
   * does not publish, it is held rather than retried. The scheduler's PublishRequested after the
   * window releases it. Holds for other reasons are the publisher's own (or the scheduler's before
   * handing over) and change nothing here.
   */
  async heldByScheduler(em: EntityManager, e: PublicationHeld, now = new Date()): Promise<void> {
    if (e.reason !== HoldReason.BLACKOUT || !e.publicationId) return;
    await em.query(
      `UPDATE publish_jobs SET state = CASE WHEN state = 'IN_FLIGHT' THEN state ELSE 'HELD' END,
         hold_reason = '${BLACKOUT}', last_error = COALESCE(NULLIF($2, ''), last_error), updated_at = $3
       WHERE publication_id = $1 AND state IN ('PENDING', 'HELD', 'IN_FLIGHT')`,
      [e.publicationId, e.detail.slice(0, 2000), now],
    );
  }

  /**
   * PublicationCancelled (a person cancelled a held publication, or the content was withdrawn): a
   * waiting job stops. One whose last call may have posted is left to its reconciliation.
   */
  async cancelled(em: EntityManager, e: PublicationCancelled, now = new Date()): Promise<void> {
    await em.query(
      `UPDATE publish_jobs SET state = 'CANCELLED', last_error = $2, updated_at = $3
       WHERE publication_id = $1 AND state IN ('PENDING', 'HELD') AND NOT reconcile_first`,
      [e.publicationId, `Cancelled: ${e.reason}`.slice(0, 2000), now],
    );
  }

  /**
   * Claims due jobs (pending and due, or in flight past their lease) in one transaction: each
   * becomes IN_FLIGHT with a new lease and a recorded attempt. Jobs whose account is not ACTIVE
   * are held; jobs that fail the compliance checks fail without a call.
   */
  async claimDue(now = new Date(), limit = 10): Promise<ClaimedJob[]> {
    if (limit <= 0) return [];
    return asPlatform(this.ds, async (em) => {
      const due = await em
        .createQueryBuilder(PublishJob, 'j')
        .where(
          `((j.state = 'PENDING' AND j.next_attempt_at <= :now) OR (j.state = 'IN_FLIGHT' AND j.lease_until <= :now))`,
          { now },
        )
        .orderBy('j.next_attempt_at', 'ASC')
        .limit(limit)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      const claimed: ClaimedJob[] = [];
      for (const job of due) {
        if (job.state === 'IN_FLIGHT') await this.abandonExpiredClaim(em, job, now);
        const c = await this.claim(em, job, now);
        if (c) claimed.push(c);
      }
      return claimed;
    });
  }

  /** A claim whose lease ran out: its worker died mid-call, so the post may exist. */
  private async abandonExpiredClaim(em: EntityManager, job: PublishJob, now: Date): Promise<void> {
    const attempt = await em.findOneBy(PublishAttempt, {
      publicationId: job.publicationId,
      attempt: job.attempts,
    });
    if (attempt && attempt.outcome === null) {
      attempt.outcome = 'UNCERTAIN';
      attempt.error = 'The worker stopped before recording the outcome (its lease expired)';
      attempt.finishedAt = now;
      await em.save(PublishAttempt, attempt);
      await this.events.attempted(em, job, attempt, 'UNCERTAIN');
    }
    job.reconcileFirst = true;
    job.state = 'PENDING';
    job.leaseUntil = null;
    logger.warn(
      { publicationId: job.publicationId, attempt: job.attempts },
      'lease expired: reconciling the job',
    );
  }

  private async claim(em: EntityManager, job: PublishJob, now: Date): Promise<ClaimedJob | null> {
    if (job.holdReason === BLACKOUT) {
      // Held by a window while its previous claim was in flight (and then abandoned).
      await this.hold(em, job, BLACKOUT, null, now);
      return null;
    }
    const account = isUuid(job.accountId) ? await em.findOneBy(SocialAccount, { id: job.accountId }) : null;
    if (!account || account.platform !== job.platform || account.departmentId !== job.departmentId) {
      await this.fail(em, job, `Account ${job.accountId} is not connected to the publisher`, now);
      return null;
    }
    if (account.status !== 'ACTIVE') {
      await this.hold(em, job, `ACCOUNT_${account.status}`, account.statusReason, now);
      return null;
    }
    let secrets: OpenedSecrets | null;
    try {
      secrets = await this.accounts.openSecrets(em, account.id);
    } catch (err) {
      if (!(err instanceof KeyRingError)) throw err;
      // A configuration problem, not the platform's: try again later, loudly.
      logger.error(
        { publicationId: job.publicationId, accountId: account.id, err: err.message },
        'credentials unreadable',
      );
      Object.assign(job, { state: 'PENDING', lastError: err.message, updatedAt: now });
      job.nextAttemptAt = new Date(now.getTime() + this.options.retryMaxMs);
      await em.save(PublishJob, job);
      return null;
    }
    if (!secrets) {
      await this.fail(em, job, `Account ${account.handle} has no credentials`, now);
      return null;
    }
    const snapshot = decodeSnapshot(job.snapshot);
    const target = { accountId: account.id, platform: account.platform };
    const hash = textHashOf(postTextOf(snapshot, target));
    const [{ duplicate }] = await em.query(
      `SELECT EXISTS (SELECT 1 FROM publish_jobs WHERE account_id = $1 AND state = 'PUBLISHED'
                      AND text_hash = $2 AND publication_id <> $3) AS duplicate`,
      [job.accountId, hash, job.publicationId],
    );
    // The state's policy and the department's ministers as they are now, not as at approval.
    const rules = await this.policies.atPublish(em, job.departmentId);
    const post = renderForAccount(snapshot, target, duplicate === true, rules);
    if (post.violations.length && !job.reconcileFirst) {
      await this.fail(em, job, violationReason(post.violations), now);
      return null;
    }
    job.attempts += 1;
    job.state = 'IN_FLIGHT';
    job.leaseUntil = new Date(now.getTime() + this.options.leaseMs);
    job.firstAttemptAt ??= now;
    job.textHash = post.textHash;
    job.holdReason = null;
    job.updatedAt = now;
    await em.save(PublishJob, job);
    const attempt = em.create(PublishAttempt, {
      publicationId: job.publicationId,
      attempt: job.attempts,
      departmentId: job.departmentId,
      accountId: job.accountId,
      platform: job.platform,
      reconcile: job.reconcileFirst,
      outcome: null,
      httpStatus: null,
      error: null,
      retryAfterMs: null,
      startedAt: now,
      finishedAt: null,
    });
    await em.insert(PublishAttempt, attempt);
    return {
      job: { ...job },
      attempt,
      account,
      secrets,
      post,
      reconcileFirst: job.reconcileFirst,
      violations: post.violations,
    };
  }

  /**
   * Records an attempt's outcome and its events, if the claim still holds (the job is IN_FLIGHT
   * with this attempt's number); a late worker's outcome is dropped, the job's new holder
   * reconciles. Returns whether it was recorded.
   */
  async record(c: ClaimedJob, result: AttemptResult, now = new Date()): Promise<boolean> {
    return asPlatform(this.ds, async (em) => {
      const job = await em.findOne(PublishJob, {
        where: { publicationId: c.job.publicationId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!job || job.state !== 'IN_FLIGHT' || job.attempts !== c.attempt.attempt) {
        logger.warn(
          { publicationId: c.job.publicationId, attempt: c.attempt.attempt, outcome: result.outcome.kind },
          'the claim was lost before its outcome was recorded; the job will be reconciled',
        );
        return false;
      }
      const o = result.outcome;
      const failure = o.kind === 'published' || o.kind === 'found' ? null : o;
      const attempt = c.attempt;
      attempt.outcome = OUTCOME[o.kind];
      attempt.httpStatus = o.httpStatus || null;
      attempt.error = failure?.error.slice(0, 2000) ?? null;
      attempt.retryAfterMs =
        failure?.kind === 'rate-limited' && failure.retryAfterMs !== null
          ? String(failure.retryAfterMs)
          : null;
      attempt.finishedAt = now;
      await em.save(PublishAttempt, attempt);
      await this.events.attempted(em, job, attempt, attempt.outcome);

      job.leaseUntil = null;
      job.updatedAt = now;
      const label = { platform: job.platform };
      if (!failure) {
        const found = o as Extract<AttemptResult['outcome'], { externalId: string }>;
        Object.assign(job, {
          state: 'PUBLISHED',
          externalId: found.externalId,
          url: found.url,
          publishedAt: now,
          reconciled: result.reconciled,
          recipients: found.recipients ?? null,
          reconcileFirst: false,
          lastError: null,
          nextInsightsAt: new Date(now.getTime() + this.options.engagementIntervalMs),
        });
        await em.save(PublishJob, job);
        await this.events.published(em, job);
        publishOutcomes.add(1, { ...label, outcome: result.reconciled ? 'reconciled' : 'published' });
        return true;
      }
      job.lastError = failure.error.slice(0, 2000);
      const stillUncertain = failure.kind === 'uncertain' || (c.reconcileFirst && !result.lookupDone);
      if (failure.kind === 'refused') {
        await this.fail(em, job, failure.error, now);
        return true;
      }
      if (failure.kind === 'unauthorized') {
        job.reconcileFirst = stillUncertain;
        const marked = await this.accounts.markNeedsReauth(
          em,
          job.accountId,
          c.secrets.version,
          failure.error,
          now,
        );
        if (job.holdReason === BLACKOUT) {
          // A window holds it: the scheduler asks again after the window (and the reconnect).
          await this.hold(em, job, BLACKOUT, failure.error, now);
        } else if (marked === 'secrets-changed') {
          // Reconnected or refreshed meanwhile: try again with the new secrets.
          Object.assign(job, { state: 'PENDING', nextAttemptAt: now });
          await em.save(PublishJob, job);
          publishOutcomes.add(1, { ...label, outcome: 'retried' });
        } else {
          await this.hold(em, job, 'ACCOUNT_NEEDS_REAUTH', failure.error, now);
        }
        return true;
      }
      if (job.attempts >= this.options.maxAttempts && !result.progressed) {
        const reason = stillUncertain
          ? `Gave up after ${job.attempts} attempts without learning whether it was posted (${failure.error}); check the account before publishing it again`
          : `Gave up after ${job.attempts} attempts: ${failure.error}`;
        await this.fail(em, job, reason, now);
        return true;
      }
      if (job.holdReason === BLACKOUT) {
        // A window came into force during the call: no retry inside it.
        job.reconcileFirst = stillUncertain;
        await this.hold(em, job, BLACKOUT, failure.error, now);
        return true;
      }
      const retryAfter = failure.kind === 'rate-limited' ? failure.retryAfterMs : null;
      Object.assign(job, {
        state: 'PENDING',
        reconcileFirst: stillUncertain,
        nextAttemptAt: new Date(now.getTime() + retryDelayMs(job.attempts, retryAfter, this.options)),
      });
      await em.save(PublishJob, job);
      publishOutcomes.add(1, { ...label, outcome: 'retried' });
      return true;
    });
  }

  /** Instagram: keeps (or forgets, with null) the job's media container, while the claim holds. */
  async rememberContainer(c: ClaimedJob, containerId: string | null, now = new Date()): Promise<boolean> {
    const [, updated] = await asPlatform(this.ds, (em) =>
      em.query(
        `UPDATE publish_jobs SET ig_container_id = $2, updated_at = $4
         WHERE publication_id = $1 AND state = 'IN_FLIGHT' AND attempts = $3`,
        [c.job.publicationId, containerId, c.attempt.attempt, now],
      ),
    );
    return updated === 1;
  }

  /**
   * Keeps a claim's lease alive while its attempt runs: renews it every third of the lease, so a
   * live slow call is never taken over, while a dead worker's claim runs out within one lease.
   * Returns the function that stops the renewals (call it once the attempt is over).
   */
  keepLease(c: ClaimedJob): () => void {
    const timer = setInterval(
      () => {
        this.extendLease(c).then(
          (held) => {
            if (!held) clearInterval(timer); // taken over or finished: nothing left to keep
          },
          (err: unknown) =>
            logger.warn(
              { err, publicationId: c.job.publicationId },
              'renewing a lease failed; trying again at the next renewal',
            ),
        );
      },
      Math.max(100, Math.floor(this.options.leaseMs / 3)),
    );
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Extends the claim's lease; false when the claim was lost. */
  async extendLease(c: ClaimedJob, now = new Date()): Promise<boolean> {
    const [, updated] = await asPlatform(this.ds, (em) =>
      em.query(
        `UPDATE publish_jobs SET lease_until = $2 WHERE publication_id = $1 AND state = 'IN_FLIGHT' AND attempts = $3`,
        [c.job.publicationId, new Date(now.getTime() + this.options.leaseMs), c.attempt.attempt],
      ),
    );
    return updated === 1;
  }

  private async fail(em: EntityManager, job: PublishJob, reason: string, now: Date): Promise<void> {
    Object.assign(job, {
      state: 'FAILED',
      lastError: reason.slice(0, 2000),
      leaseUntil: null,
      reconcileFirst: false,
      updatedAt: now,
    });
    await em.save(PublishJob, job);
    await this.events.failed(em, job, reason);
    publishOutcomes.add(1, { platform: job.platform, outcome: 'failed' });
    logger.warn({ publicationId: job.publicationId, platform: job.platform, reason }, 'publication failed');
  }

  /** Holds a job until its account is reconnected (or the scheduler asks again, e.g. after a window). */
  private async hold(
    em: EntityManager,
    job: PublishJob,
    reason: string,
    detail: string | null,
    now: Date,
  ): Promise<void> {
    Object.assign(job, {
      state: 'HELD',
      holdReason: reason,
      lastError: detail ?? job.lastError,
      leaseUntil: null,
      updatedAt: now,
    });
    await em.save(PublishJob, job);
    publishOutcomes.add(1, { platform: job.platform, outcome: 'held' });
  }
}
