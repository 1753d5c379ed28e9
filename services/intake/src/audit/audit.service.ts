import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
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
  constructor(private readonly ds: DataSource) {}

  /** Appends an entry in the caller's transaction (which holds the content row lock). */
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
    return em.save(entry);
  }

  /** The entries of a content item, oldest first, as the transaction's tenant may see them. */
  history(em: EntityManager, contentId: string): Promise<AuditEntry[]> {
    return em.find(AuditEntry, { where: { contentId }, order: { seq: 'ASC' } });
  }

  /** Recomputes the chain (as the platform); returns the first entry whose hash does not match, if any. */
  async verify(contentId: string): Promise<{ intact: boolean; brokenAt?: string }> {
    const entries = await asPlatform(this.ds, (em) => this.history(em, contentId));
    let prev = GENESIS;
    for (const e of entries) {
      if (e.prevHash !== prev || entryHash(prev, e) !== e.hash) return { intact: false, brokenAt: e.seq };
      prev = e.hash;
    }
    return { intact: true };
  }
}
