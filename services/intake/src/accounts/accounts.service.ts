import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { Violation } from '@prasar/auth';
import { composeVariantText, type Platform } from '@prasar/compliance';
import {
  Platform as PbPlatform,
  type AccountConnected,
  type AccountNeedsReauth,
  type PublicationPublished,
} from '@prasar/contracts';
import { createLogger } from '@prasar/telemetry';
import { ContentVersion } from '../content/content.entity';
import { PublishedText, TargetAccount, type AccountStatus } from './target-account.entity';

/** The platform of a protobuf Platform value, or undefined for UNSPECIFIED and unknown values. */
export function platformOf(value: PbPlatform): Platform | undefined {
  switch (value) {
    case PbPlatform.X:
      return 'X';
    case PbPlatform.FACEBOOK:
      return 'FACEBOOK';
    case PbPlatform.INSTAGRAM:
      return 'INSTAGRAM';
    case PbPlatform.WHATSAPP:
      return 'WHATSAPP';
    default:
      return undefined;
  }
}

/** The key published texts are remembered by: SHA-256 of the exact text published. */
export function textHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface ResolvedTargets {
  /** The known accounts, in the order the content lists them. */
  accounts: TargetAccount[];
  /** One `UNKNOWN_ACCOUNT` violation per id that is not one of the department's accounts. */
  violations: Violation[];
}

/**
 * Intake's read model of the publisher's accounts and of what was published on them. Every
 * method works in the caller's transaction (asCaller for requests, the platform for events).
 */
@Injectable()
export class AccountsService {
  private readonly logger = createLogger('accounts');

  /**
   * The department's accounts among `ids`; any other id (unknown, or another department's, which
   * answers the same) is an input error.
   */
  async resolve(em: EntityManager, departmentId: string, ids: readonly string[]): Promise<ResolvedTargets> {
    const found = ids.length
      ? await em.find(TargetAccount, { where: { id: In([...ids]), departmentId } })
      : [];
    const byId = new Map(found.map((a) => [a.id, a]));
    const accounts: TargetAccount[] = [];
    const violations: Violation[] = [];
    for (const id of ids) {
      const account = byId.get(id);
      if (account) accounts.push(account);
      else
        violations.push({
          field: 'targetAccountIds',
          rule: 'UNKNOWN_ACCOUNT',
          message: `Account "${id}" is not one of this department's connected accounts`,
        });
    }
    return { accounts, violations };
  }

  /** AccountConnected: the account exists (again) and is ACTIVE. */
  async connected(em: EntityManager, event: AccountConnected): Promise<void> {
    await this.upsert(em, event, 'ACTIVE');
  }

  /** AccountNeedsReauth: the account stays a valid target, its status shows it needs reconnecting. */
  async needsReauth(em: EntityManager, event: AccountNeedsReauth): Promise<void> {
    await this.upsert(em, event, 'NEEDS_REAUTH');
  }

  private async upsert(
    em: EntityManager,
    event: Pick<AccountConnected, 'accountId' | 'departmentId' | 'platform' | 'handle'>,
    status: AccountStatus,
  ): Promise<void> {
    const platform = platformOf(event.platform);
    if (!event.accountId || !event.departmentId || !platform) {
      // A malformed event will never become valid: record nothing, say why.
      this.logger.warn(
        { accountId: event.accountId },
        'account event without account, department or platform',
      );
      return;
    }
    await em.query(
      `INSERT INTO target_accounts (id, department_id, platform, handle, status, updated_at)
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (id) DO UPDATE SET department_id = EXCLUDED.department_id, platform = EXCLUDED.platform,
         handle = CASE WHEN EXCLUDED.handle = '' THEN target_accounts.handle ELSE EXCLUDED.handle END,
         status = EXCLUDED.status, updated_at = EXCLUDED.updated_at`,
      [event.accountId, event.departmentId, platform, event.handle, status],
    );
  }

  /**
   * PublicationPublished: remembers the text of that content version as published on the account
   * (composed exactly as the compliance library composes the variant), for the duplicate rule.
   */
  async published(em: EntityManager, event: PublicationPublished): Promise<void> {
    const version = await em.findOneBy(ContentVersion, {
      contentId: event.contentId,
      version: event.contentVersion,
    });
    const platform =
      platformOf(event.platform) ?? (await em.findOneBy(TargetAccount, { id: event.accountId }))?.platform;
    if (!version || !platform) {
      this.logger.warn(
        { contentId: event.contentId, version: event.contentVersion, accountId: event.accountId },
        'publication of a content version or platform intake does not know; nothing to remember',
      );
      return;
    }
    const snapshot = version.snapshot;
    const overrideText = snapshot.overrides.find((o) => o.accountId === event.accountId)?.text ?? null;
    const text = composeVariantText(snapshot, { platform, overrideText });
    await em
      .createQueryBuilder()
      .insert()
      .into(PublishedText)
      .values({
        accountId: event.accountId,
        textHash: textHash(text),
        departmentId: version.departmentId,
        contentId: event.contentId,
        contentVersion: event.contentVersion,
        publicationId: event.publicationId,
        publishedAt: event.publishedAt ? timestampDate(event.publishedAt) : new Date(),
      })
      .orIgnore()
      .execute();
  }

  /** Which of these (account, text) pairs were already published; keys are `accountId\0hash`. */
  async publishedAmong(
    em: EntityManager,
    candidates: readonly { accountId: string; text: string }[],
  ): Promise<Set<string>> {
    if (candidates.length === 0) return new Set();
    const rows: { account_id: string; text_hash: string }[] = await em.query(
      `SELECT account_id, text_hash FROM published_texts
       WHERE (account_id, text_hash) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [candidates.map((c) => c.accountId), candidates.map((c) => textHash(c.text))],
    );
    return new Set(rows.map((r) => publishedKey(r.account_id, r.text_hash)));
  }
}

export function publishedKey(accountId: string, hash: string): string {
  return `${accountId}\u0000${hash}`;
}
