import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { EngagementSnapshotSchema, Platform as PbPlatform } from '@prasar/contracts';
import { EventPublisher } from '@prasar/kafka';
import { asPlatform } from '@prasar/persistence';
import { PeriodicTask } from '@prasar/service';
import { createLogger } from '@prasar/telemetry';
import { SocialAccount } from '../accounts/account.entity';
import { AccountsService, type OpenedSecrets } from '../accounts/accounts.service';
import { PlatformAdapters } from '../platforms/adapters';
import type { BroadcastCounts, EngagementCounts } from '../platforms/platform';
import { PublishJob } from '../publishing/publish-job.entity';

const logger = createLogger('engagement');

export interface EngagementOptions {
  /** How often each young publication is read (ENGAGEMENT_POLL_INTERVAL_MS); also the round interval. */
  intervalMs: number;
  /** Publications are followed this long after publishing (ENGAGEMENT_WINDOW_HOURS). */
  windowHours: number;
  /** Publications claimed per round. */
  batchSize?: number;
  autoStart: boolean;
}

export const ENGAGEMENT_OPTIONS = Symbol('ENGAGEMENT_OPTIONS');

interface Due {
  job: PublishJob;
  account: SocialAccount;
  secrets: OpenedSecrets;
}

/** A platform count as the event's uint32 (bounded, whole). */
const u32 = (n: number) => Math.max(0, Math.min(4_294_967_295, Math.floor(Number(n) || 0)));

/**
 * Reads the engagement of publications younger than the window, every interval, and emits it as
 * EngagementSnapshot (cumulative counts, so a late or repeated snapshot is harmless). Publications
 * are claimed with FOR UPDATE SKIP LOCKED and their next reading time moves forward in the same
 * transaction, so replicas share the work; the platform calls happen outside it.
 */
@Injectable()
export class EngagementPoller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: PeriodicTask;

  constructor(
    private readonly ds: DataSource,
    private readonly events: EventPublisher,
    private readonly accounts: AccountsService,
    private readonly adapters: PlatformAdapters,
    @Inject(ENGAGEMENT_OPTIONS) private readonly options: EngagementOptions,
  ) {
    this.loop = new PeriodicTask('engagement', options.intervalMs, () => this.pollOnce(), logger);
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

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** One round: reads what is due at `now`; returns how many snapshots were emitted. */
  async pollOnce(now = new Date()): Promise<number> {
    const due = await this.claim(now);
    const byAccount = new Map<string, Due[]>();
    for (const d of due) byAccount.set(d.account.id, [...(byAccount.get(d.account.id) ?? []), d]);
    let emitted = 0;
    for (const items of byAccount.values()) emitted += await this.readAccount(items, now);
    return emitted;
  }

  private claim(now: Date): Promise<Due[]> {
    return asPlatform(this.ds, async (em) => {
      const jobs = await em
        .createQueryBuilder(PublishJob, 'j')
        .where(`j.state = 'PUBLISHED' AND j.next_insights_at <= :now AND j.published_at > :since`, {
          now,
          since: new Date(now.getTime() - this.options.windowHours * 3_600_000),
        })
        .orderBy('j.next_insights_at', 'ASC')
        .limit(this.options.batchSize ?? 200)
        .setLock('pessimistic_write')
        .setOnLocked('skip_locked')
        .getMany();
      const due: Due[] = [];
      for (const job of jobs) {
        job.nextInsightsAt = new Date(now.getTime() + this.options.intervalMs);
        await em.save(PublishJob, job);
        const account = await em.findOneBy(SocialAccount, { id: job.accountId });
        if (!account || account.status !== 'ACTIVE' || !job.externalId) continue;
        const secrets = await this.accounts.openSecrets(em, account.id).catch((err: unknown) => {
          logger.warn({ accountId: account.id, err: (err as Error).message }, 'credentials unreadable');
          return null;
        });
        if (secrets) due.push({ job, account, secrets });
      }
      return due;
    });
  }

  private async readAccount(items: Due[], now: Date): Promise<number> {
    const { account, secrets } = items[0];
    const byExternal = new Map(items.map((d) => [d.job.externalId as string, d.job]));
    const adapter = this.adapters.of(account.platform);
    const target = {
      id: account.id,
      handle: account.handle,
      externalAccountId: account.externalAccountId,
      baseUrl: this.adapters.baseUrlFor(account.platform, account.apiBaseUrl),
      whatsappTemplate: account.whatsappTemplate,
      whatsappTemplateLanguage: account.whatsappTemplateLanguage,
    };
    const request = {
      account: target,
      secrets: secrets.secrets,
      externalIds: [...byExternal.keys()],
      broadcasts: account.platform === 'WHATSAPP' ? await this.broadcastCounts(items) : undefined,
    };
    let outcome = await adapter.insights(request);
    if (outcome.kind === 'unauthorized' && adapter.refresh) {
      // An X token lasts two hours: refresh it (stored before use) and read again.
      const refresh = adapter.refresh.bind(adapter);
      const { outcome: refreshed } = await this.accounts.refreshSecrets(account, secrets.secrets, (current) =>
        refresh(target, current),
      );
      if (refreshed.kind === 'refreshed') {
        outcome = await adapter.insights({ ...request, secrets: refreshed.secrets });
      }
    }
    if (outcome.kind !== 'metrics') {
      // Next interval tries again; engagement is never worth holding anything up for.
      logger.warn(
        { accountId: account.id, outcome: outcome.kind, error: outcome.error },
        'insights not read',
      );
      return 0;
    }
    await asPlatform(this.ds, async (em) => {
      for (const [externalId, metrics] of outcome.metrics) {
        const job = byExternal.get(externalId);
        if (job) await this.emit(em, job, metrics, now);
      }
    });
    return outcome.metrics.size;
  }

  /** What the status webhooks said about each broadcast's messages. */
  private async broadcastCounts(items: Due[]): Promise<Map<string, BroadcastCounts>> {
    const rows: { publication_id: string; sent: number; delivered: number; read: number }[] =
      await asPlatform(this.ds, (em) =>
        em.query(
          `SELECT d.publication_id,
                  count(*) FILTER (WHERE d.state = 'SENT')::int AS sent,
                  count(*) FILTER (WHERE s.status IN ('delivered', 'read'))::int AS delivered,
                  count(*) FILTER (WHERE s.status = 'read')::int AS read
           FROM whatsapp_deliveries d LEFT JOIN whatsapp_message_statuses s ON s.message_id = d.message_id
           WHERE d.publication_id = ANY($1::text[]) GROUP BY d.publication_id`,
          [items.map((d) => d.job.publicationId)],
        ),
      );
    const counts = new Map<string, BroadcastCounts>();
    for (const d of items) {
      const row = rows.find((r) => r.publication_id === d.job.publicationId);
      counts.set(d.job.externalId as string, row ?? { sent: 0, delivered: 0, read: 0 });
    }
    return counts;
  }

  private emit(em: EntityManager, job: PublishJob, m: EngagementCounts, now: Date) {
    return this.events.publish(em, {
      schema: EngagementSnapshotSchema,
      message: {
        contentId: job.contentId,
        departmentId: job.departmentId,
        publicationId: job.publicationId,
        accountId: job.accountId,
        platform: PbPlatform[job.platform],
        impressions: u32(m.impressions),
        reach: u32(m.reach),
        likes: u32(m.likes),
        shares: u32(m.shares),
        comments: u32(m.comments),
        clicks: u32(m.clicks),
        videoViews: u32(m.videoViews),
        observedAt: timestampFromDate(now),
      },
    });
  }
}
