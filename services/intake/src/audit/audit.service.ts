import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { AuditEntryRecordedSchema } from '@prasar/contracts';
import { EventPublisher } from '@prasar/kafka';
import { asPlatform } from '@prasar/persistence';
import type { ContentStatus } from '../content/content.entity';
import { AuditEntry } from './audit-entry.entity';

export interface AuditRecord {
  contentId: string;
  departmentId: string;
  actor: string;
  action: string;
  fromStatus?: ContentStatus | null;
  toStatus?: ContentStatus | null;
  note?: string | null;
  at?: Date;
}

const GENESIS = '0'.repeat(64);

function entryHash(prevHash: string, e: Omit<AuditRecord, 'at'> & { at: Date }): string {
  const canonical = JSON.stringify([
    prevHash,
    e.contentId,
    e.departmentId,
    e.at.toISOString(),
    e.actor,
    e.action,
    e.fromStatus ?? null,
    e.toStatus ?? null,
    e.note ?? null,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** The content's record of who did what: append-only, each entry chained to the previous one's hash. */
@Injectable()
export class AuditTrail {
  constructor(
    private readonly ds: DataSource,
    private readonly events: EventPublisher,
  ) {}

  /**
   * Appends an entry in the caller's transaction (which holds the content row lock), and emits
   * AuditEntryRecorded with its hashes in the same transaction (the records export holds them).
   */
  async record(em: EntityManager, record: AuditRecord): Promise<AuditEntry> {
    const last = await em.findOne(AuditEntry, {
      where: { contentId: record.contentId },
      order: { seq: 'DESC' },
    });
    const at = record.at ?? new Date();
    const prevHash = last?.hash ?? GENESIS;
    const entry = em.create(AuditEntry, {
      contentId: record.contentId,
      departmentId: record.departmentId,
      at,
      actor: record.actor,
      action: record.action,
      fromStatus: record.fromStatus ?? null,
      toStatus: record.toStatus ?? null,
      note: record.note ?? null,
      prevHash,
      hash: entryHash(prevHash, { ...record, at }),
    });
    const saved = await em.save(entry);
    await this.events.publish(em, {
      schema: AuditEntryRecordedSchema,
      message: {
        contentId: saved.contentId,
        departmentId: saved.departmentId,
        seq: BigInt(saved.seq),
        at: timestampFromDate(saved.at),
        actor: saved.actor,
        action: saved.action,
        fromStatus: saved.fromStatus ?? '',
        toStatus: saved.toStatus ?? '',
        note: saved.note ?? '',
        prevHash: saved.prevHash,
        hash: saved.hash,
      },
    });
    return saved;
  }

  /** The entries of a content item, oldest first, as the transaction's tenant may see them. */
  history(em: EntityManager, contentId: string): Promise<AuditEntry[]> {
    return em.find(AuditEntry, { where: { contentId }, order: { seq: 'ASC' } });
  }

  /** Recomputes the chain (as the platform); returns the first entry whose hash does not match, if any. */
  async verify(contentId: string): Promise<ChainVerification> {
    return asPlatform(this.ds, (em) => this.verifyIn(em, contentId));
  }

  /** verify, in the caller's transaction. */
  async verifyIn(em: EntityManager, contentId: string): Promise<ChainVerification> {
    const entries = await this.history(em, contentId);
    let prev = GENESIS;
    for (const e of entries) {
      if (e.prevHash !== prev || entryHash(prev, e) !== e.hash)
        return { contentId, intact: false, entries: entries.length, brokenAt: e.seq, head: null };
      prev = e.hash;
    }
    return {
      contentId,
      intact: true,
      entries: entries.length,
      brokenAt: null,
      head: entries.at(-1)?.hash ?? null,
    };
  }

  /**
   * The anchor of one Asia/Kolkata day: a SHA-256 over the head (last entry's seq and hash, as of
   * the day's end) of every chain written that day, one `content_id:seq:hash` line each, in
   * content-id order. It is recorded outside the chain (a log line every day, `AuditAnchorLogger`):
   * cutting entries off a chain changes its head, so the recomputed anchor of that day no longer
   * matches the recorded one, which a hash chain alone cannot show.
   */
  async dayAnchor(em: EntityManager, day: string): Promise<DayAnchor> {
    const { from, to } = istDayBounds(day);
    const [row] = (await em.query(
      `WITH heads AS (
         SELECT DISTINCT ON (e.content_id) e.content_id, e.seq, e.hash
           FROM audit_entries e
          WHERE e.at < $2 AND e.content_id IN (SELECT content_id FROM audit_entries WHERE at >= $1 AND at < $2)
          ORDER BY e.content_id, e.seq DESC)
       SELECT count(*)::int AS chains,
              coalesce(array_agg(content_id::text ORDER BY content_id), '{}') AS contents,
              encode(sha256(convert_to(coalesce(string_agg(content_id || ':' || seq || ':' || hash, E'\n'
                ORDER BY content_id), ''), 'UTF8')), 'hex') AS digest
         FROM heads`,
      [from, to],
    )) as { chains: number; contents: string[]; digest: string }[];
    return { day, chains: row.chains, contentIds: row.contents, digest: row.digest };
  }
}

export interface ChainVerification {
  contentId: string;
  intact: boolean;
  entries: number;
  /** The seq of the first entry whose hash or link does not match; null when intact. */
  brokenAt: string | null;
  /** The last entry's hash when intact. */
  head: string | null;
}

export interface DayAnchor {
  /** YYYY-MM-DD, Asia/Kolkata. */
  day: string;
  chains: number;
  contentIds: string[];
  digest: string;
}

/** [from, to) of an Asia/Kolkata calendar day (YYYY-MM-DD). */
export function istDayBounds(day: string): { from: Date; to: Date } {
  const from = new Date(`${day}T00:00:00+05:30`);
  return { from, to: new Date(from.getTime() + 86_400_000) };
}

/** The Asia/Kolkata calendar day of an instant. */
export function istDayOf(t: Date): string {
  return new Date(t.getTime() + 330 * 60_000).toISOString().slice(0, 10);
}
