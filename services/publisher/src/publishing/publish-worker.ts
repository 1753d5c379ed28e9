import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PeriodicTask } from '@prasar/service';
import { createLogger, startTimer } from '@prasar/telemetry';
import { AccountsService } from '../accounts/accounts.service';
import { attemptDuration } from '../metrics';
import { PlatformAdapters } from '../platforms/adapters';
import type { PlatformAdapter, PublishSession, PublishTarget } from '../platforms/platform';
import { DbBroadcastAudience } from '../whatsapp/broadcast-audience';
import { violationReason } from './content';
import { PublishJobs, type AttemptResult, type ClaimedJob } from './publish-jobs.service';

const logger = createLogger('publish-worker');

export interface PublishWorkerOptions {
  /** Milliseconds between claim rounds (PUBLISHER_POLL_INTERVAL_MS). */
  intervalMs: number;
  /** Jobs in flight at once in this process. */
  concurrency: number;
  /** Start polling with the application (tests drive rounds themselves). */
  autoStart: boolean;
  /** WhatsApp recipients per batch. */
  whatsappBatchSize: number;
  /**
   * Runs after the platform call and before its outcome is recorded. Tests throw from it to kill
   * the worker at the worst moment; production leaves it unset.
   */
  afterCall?: (claimed: ClaimedJob) => Promise<void>;
}

export const PUBLISH_WORKER_OPTIONS = Symbol('PUBLISH_WORKER_OPTIONS');

/**
 * Publishes due jobs: claims them (one transaction), calls the platform outside any transaction,
 * records the outcome (a second transaction, with its events). A call that may have posted is
 * reconciled (looked up) before anything is sent again; a worker that dies mid-call leaves its
 * claim to expire, and whoever claims the job next reconciles it.
 */
@Injectable()
export class PublishWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: PeriodicTask;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly ds: DataSource,
    private readonly jobs: PublishJobs,
    private readonly accounts: AccountsService,
    private readonly adapters: PlatformAdapters,
    @Inject(PUBLISH_WORKER_OPTIONS) private readonly options: PublishWorkerOptions,
  ) {
    this.loop = new PeriodicTask('publish', options.intervalMs, () => this.claimAndStart(), logger);
  }

  onApplicationBootstrap(): void {
    if (this.options.autoStart) this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    this.loop.start();
  }

  /** Stops claiming and waits for the attempts in flight. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Claims as many due jobs as there is room for and starts them (without waiting for them). */
  private async claimAndStart(): Promise<void> {
    const room = this.options.concurrency - this.inFlight.size;
    for (const claimed of await this.jobs.claimDue(new Date(), room)) {
      const work = this.process(claimed).finally(() => this.inFlight.delete(work));
      this.inFlight.add(work);
    }
  }

  /** One round, waited for: claims what is due at `now` and finishes every claimed attempt. */
  async runOnce(now = new Date(), limit = this.options.concurrency): Promise<ClaimedJob[]> {
    const claimed = await this.jobs.claimDue(now, limit);
    await Promise.all(claimed.map((c) => this.process(c)));
    return claimed;
  }

  /** One attempt, from the claim to its recorded outcome. Never throws. */
  async process(c: ClaimedJob): Promise<void> {
    const elapsed = startTimer();
    let result: AttemptResult;
    // The lease is renewed while this process works on the attempt; a crash stops the renewals,
    // and the claim runs out within one lease (PUBLISHER_LEASE_MS) for another worker to reconcile.
    const stopRenewing = this.jobs.keepLease(c);
    try {
      result = await this.attempt(c);
      await this.options.afterCall?.(c);
    } catch (err) {
      // A bug, the database going away, or a test's simulated crash: the claim is left as it is;
      // when its lease runs out the job is reconciled, never blindly retried.
      logger.error(
        { err, publicationId: c.job.publicationId, attempt: c.attempt.attempt },
        'publish attempt stopped before its outcome was recorded',
      );
      stopRenewing();
      return;
    }
    try {
      await this.jobs.record(c, result);
    } catch (err) {
      logger.error(
        { err, publicationId: c.job.publicationId },
        'recording the outcome failed; the job will be reconciled',
      );
    } finally {
      stopRenewing();
    }
    attemptDuration.record(elapsed(), { platform: c.job.platform, outcome: result.outcome.kind });
  }

  private async attempt(c: ClaimedJob): Promise<AttemptResult> {
    const adapter = this.adapters.of(c.job.platform);
    const audience =
      c.job.platform === 'WHATSAPP'
        ? new DbBroadcastAudience(
            this.ds,
            {
              publicationId: c.job.publicationId,
              accountId: c.account.id,
              attempt: c.attempt.attempt,
              tier: c.account.whatsappTier ?? 250,
            },
            this.options.whatsappBatchSize,
          )
        : undefined;
    await audience?.prepare();
    const target = this.targetOf(c);
    const session: PublishSession = {
      rememberContainer: async (id) => {
        target.igContainerId = id;
        return this.jobs.rememberContainer(c, id);
      },
      extendLease: () => this.jobs.extendLease(c),
      refreshSecrets: async (stale, refresher) => {
        const { outcome, version } = await this.accounts.refreshSecrets(c.account, stale, refresher);
        if (outcome.kind === 'refreshed' && version !== undefined)
          c.secrets = { secrets: outcome.secrets, version };
        return outcome;
      },
      audience,
    };
    const result = await this.reconcileThenPublish(c, adapter, target, session);
    return { ...result, progressed: audience?.progressed ?? false };
  }

  private async reconcileThenPublish(
    c: ClaimedJob,
    adapter: PlatformAdapter,
    target: PublishTarget,
    session: PublishSession,
  ): Promise<Omit<AttemptResult, 'progressed'>> {
    if (c.reconcileFirst) {
      const found = await adapter.lookup(target, session);
      if (found.kind === 'found') return { outcome: found, reconciled: true, lookupDone: true };
      if (found.kind !== 'absent') return { outcome: found, reconciled: false, lookupDone: false };
      logger.info(
        { publicationId: c.job.publicationId },
        'reconciled: the post does not exist, publishing it',
      );
    }
    if (c.violations.length)
      return {
        outcome: { kind: 'refused', httpStatus: 0, error: violationReason(c.violations) },
        reconciled: false,
        lookupDone: true,
      };
    return { outcome: await adapter.publish(target, session), reconciled: false, lookupDone: true };
  }

  private targetOf(c: ClaimedJob): PublishTarget {
    return {
      publicationId: c.job.publicationId,
      account: {
        id: c.account.id,
        handle: c.account.handle,
        externalAccountId: c.account.externalAccountId,
        baseUrl: this.adapters.baseUrlFor(c.account.platform, c.account.apiBaseUrl),
        whatsappTemplate: c.account.whatsappTemplate,
        whatsappTemplateLanguage: c.account.whatsappTemplateLanguage,
      },
      secrets: c.secrets.secrets,
      text: c.post.text,
      link: c.post.link,
      media: c.post.media,
      igContainerId: c.job.igContainerId,
      firstAttemptAt: c.job.firstAttemptAt ?? c.attempt.startedAt,
    };
  }
}
