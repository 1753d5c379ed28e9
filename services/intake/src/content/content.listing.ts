import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BadInputError, departmentScope, type Principal } from '@prasar/auth';
import { asCaller } from '@prasar/persistence';
import { Content, type ContentKind, type ContentStatus } from './content.entity';
import { isUuid } from './ids';

/** ContentFilter as GraphQL delivers it. */
export interface ContentFilterArgs {
  departmentId?: string | null;
  kinds?: ContentKind[] | null;
  statuses?: ContentStatus[] | null;
  from?: Date | null;
  to?: Date | null;
  search?: string | null;
}

export interface ContentConnection {
  edges: { node: Content; cursor: string }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
const CURSOR_PREFIX = 'content:';

/** An opaque cursor naming a content item: its position is (createdAt, id), which never changes. */
export function encodeCursor(id: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(CURSOR_PREFIX)) return null;
  const id = text.slice(CURSOR_PREFIX.length);
  return isUuid(id) ? id : null;
}

/** `search` as stored text is matched: NFC, lower case, LIKE wildcards escaped. */
export function likePattern(search: string): string {
  const term = search
    .normalize('NFC')
    .toLowerCase()
    .replace(/[\\%_]/g, (c) => `\\${c}`);
  return `%${term}%`;
}

/**
 * `contents(filter, first, after)`: newest first (createdAt DESC, id DESC), keyset pagination on
 * that order, so a cursor stays valid and pages neither repeat nor skip rows however many items
 * are created in between (new ones sort before every cursor).
 */
@Injectable()
export class ContentListing {
  constructor(private readonly ds: DataSource) {}

  async list(
    caller: Principal,
    filter: ContentFilterArgs | null | undefined,
    first: number | null | undefined,
    after: string | null | undefined,
  ): Promise<ContentConnection> {
    const size = first ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE)
      throw new BadInputError(`first must be between 1 and ${MAX_PAGE_SIZE}`, [
        { field: 'first', rule: 'RANGE', message: `Ask for 1 to ${MAX_PAGE_SIZE} items per page` },
      ]);
    const afterId = after ? decodeCursor(after) : null;
    if (after && !afterId)
      throw new BadInputError('after is not a cursor of this list', [
        { field: 'after', rule: 'CURSOR', message: 'Pass an endCursor this list returned' },
      ]);
    if (filter?.departmentId && !isUuid(filter.departmentId))
      throw new BadInputError('departmentId is not a department id', [
        { field: 'filter.departmentId', rule: 'ID', message: 'Pass a department id' },
      ]);
    if (filter?.from && filter.to && filter.to < filter.from)
      throw new BadInputError('The period ends before it starts', [
        { field: 'filter.to', rule: 'RANGE', message: '`to` must not be before `from`' },
      ]);

    return asCaller(this.ds, caller, async (em) => {
      const qb = em.createQueryBuilder(Content, 'c');
      // Checks in code first (row-level security is the net beneath): a departmental caller only
      // ever sees its own department, whatever department the filter names.
      const scope = departmentScope(caller);
      if (scope) qb.andWhere('c.department_id = :scope', { scope });
      if (filter?.departmentId)
        qb.andWhere('c.department_id = :department', { department: filter.departmentId });
      if (filter?.kinds?.length) qb.andWhere('c.kind IN (:...kinds)', { kinds: filter.kinds });
      if (filter?.statuses?.length) qb.andWhere('c.status IN (:...statuses)', { statuses: filter.statuses });
      if (filter?.from) qb.andWhere('c.created_at >= :from', { from: filter.from });
      if (filter?.to) qb.andWhere('c.created_at < :to', { to: filter.to });
      const search = filter?.search?.trim();
      if (search) qb.andWhere(`c.search_text LIKE :pattern ESCAPE '\\'`, { pattern: likePattern(search) });

      const totalCount = await qb.clone().getCount();
      if (afterId) {
        const anchor = await em.findOneBy(Content, { id: afterId });
        if (!anchor)
          throw new BadInputError('after is not a cursor of this list', [
            { field: 'after', rule: 'CURSOR', message: 'Pass an endCursor this list returned' },
          ]);
        // Compared in SQL against the stored row, so timestamp precision never shifts a page.
        qb.andWhere(
          '(c.created_at, c.id) < (SELECT a.created_at, a.id FROM contents a WHERE a.id = :afterId)',
          {
            afterId,
          },
        );
      }
      const rows = await qb
        .orderBy('c.created_at', 'DESC')
        .addOrderBy('c.id', 'DESC')
        .limit(size + 1)
        .getMany();
      const page = rows.slice(0, size);
      const edges = page.map((node) => ({ node, cursor: encodeCursor(node.id) }));
      return {
        edges,
        pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
        totalCount,
      };
    });
  }
}
