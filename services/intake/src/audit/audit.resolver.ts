import {
  Inject,
  Injectable,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Args, Query, Resolver } from '@nestjs/graphql';
import { DataSource } from 'typeorm';
import { BadInputError, ForbiddenError, isStateWide, NotFoundError, type Principal } from '@prasar/auth';
import { Caller } from '@prasar/graphql';
import { asCaller, asPlatform } from '@prasar/persistence';
import { PeriodicTask } from '@prasar/service';
import { createLogger } from '@prasar/telemetry';
import { isUuid } from '../content/ids';
import { AuditEntry } from './audit-entry.entity';
import { AuditTrail, istDayOf, type ChainVerification } from './audit.service';

const logger = createLogger('audit-anchor');
const isDay = (d: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(new Date(`${d}T00:00:00Z`).getTime());

export interface AuditDayVerification {
  day: string;
  chains: number;
  intact: boolean;
  broken: ChainVerification[];
  digest: string;
}

/** The IT cell checks the audit trail: one content's chain, or every chain written on a day. */
@Resolver()
export class AuditVerificationResolver {
  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditTrail,
  ) {}

  @Query('verifyAuditChain')
  verifyAuditChain(
    @Caller() caller: Principal,
    @Args('contentId') contentId: string,
  ): Promise<ChainVerification> {
    if (!isStateWide(caller)) throw new ForbiddenError('Only the IT cell verifies the audit trail');
    return asCaller(this.ds, caller, async (em) => {
      if (!isUuid(contentId) || !(await em.existsBy(AuditEntry, { contentId })))
        throw new NotFoundError('Content', contentId);
      return this.audit.verifyIn(em, contentId);
    });
  }

  @Query('verifyAuditDay')
  verifyAuditDay(@Caller() caller: Principal, @Args('day') day: string): Promise<AuditDayVerification> {
    if (!isStateWide(caller)) throw new ForbiddenError('Only the IT cell verifies the audit trail');
    if (!isDay(day))
      throw new BadInputError('Not a day', [
        { field: 'day', rule: 'DATE', message: 'Give the day as YYYY-MM-DD (Asia/Kolkata)' },
      ]);
    return asCaller(this.ds, caller, async (em) => {
      const anchor = await this.audit.dayAnchor(em, day);
      const broken: ChainVerification[] = [];
      for (const contentId of anchor.contentIds) {
        const v = await this.audit.verifyIn(em, contentId);
        if (!v.intact) broken.push(v);
      }
      // At most the first 100 broken chains are listed (`intact` and `chains` still count them all).
      return {
        day,
        chains: anchor.chains,
        intact: broken.length === 0,
        broken: broken.slice(0, 100),
        digest: anchor.digest,
      };
    });
  }
}

export const AUDIT_ANCHOR_INTERVAL_MS = Symbol('AUDIT_ANCHOR_INTERVAL_MS');

/**
 * Records each finished Asia/Kolkata day's anchor outside the chain: one `audit anchor` log line
 * (day, number of chains, digest) per process and day, shortly after midnight IST. Compare it with
 * `verifyAuditDay(day).digest` to detect entries cut off the end of a chain.
 */
@Injectable()
export class AuditAnchorLogger implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loop: PeriodicTask;
  private lastLogged?: string;

  constructor(
    private readonly ds: DataSource,
    private readonly audit: AuditTrail,
    @Optional() @Inject(AUDIT_ANCHOR_INTERVAL_MS) intervalMs: number = 10 * 60_000,
  ) {
    this.loop = new PeriodicTask('audit-anchor', intervalMs, () => this.logYesterday(), logger);
  }

  onApplicationBootstrap(): void {
    this.loop.start({ immediate: true });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Logs the anchor of the day before today (Asia/Kolkata), once per process. */
  async logYesterday(now = new Date()): Promise<string | null> {
    const day = istDayOf(new Date(now.getTime() - 86_400_000));
    if (this.lastLogged === day) return null;
    const anchor = await asPlatform(this.ds, (em) => this.audit.dayAnchor(em, day));
    logger.info({ day, chains: anchor.chains, digest: anchor.digest }, 'audit anchor');
    this.lastLogged = day;
    return anchor.digest;
  }
}
