import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BadInputError, type Principal } from '@prasar/auth';
import { asCaller } from '@prasar/persistence';
import { isUuid } from '../ids';

export const MAX_PAGE_SIZE = 100;

/** A reference to intake's Content entity: the gateway fetches the rest from intake. */
export interface ContentReference {
  __typename: 'Content';
  id: string;
}

export interface ContentConnection {
  edges: { node: ContentReference; cursor: string }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

/** Where a page ends: the current stage's due time (microseconds, UTC) and the approval id. */
interface Position {
  due: string;
  id: string;
}

const DUE_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.due, position.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  try {
    const [due, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof due === 'string' && DUE_PATTERN.test(due) && typeof id === 'string' && isUuid(id)) {
      return { due, id };
    }
  } catch {
    // not one of ours: refused below
  }
  throw new BadInputError('The cursor is not valid', [
    { field: 'after', rule: 'INVALID_CURSOR', message: 'Pass an endCursor or cursor from an earlier page' },
  ]);
}

// The approvals whose current stage the caller can decide now. $1 the caller's roles, $2 their
// department, $3 their subject. The IT cell's stages are decided for every department; every other
// role's only in the caller's own. Content the caller wrote (any version) or submitted, and stages the caller
// already approved, are not theirs to decide.
const DECIDABLE = `
  FROM approvals a
  JOIN approval_stages s ON s.approval_id = a.id AND s.index = a.current_stage
  WHERE a.state = 'PENDING'
    AND s.state = 'PENDING'
    AND s.role = ANY($1::text[])
    AND (s.role = 'IT_CELL_ADMIN' OR a.department_id = $2::uuid)
    AND a.author <> $3 AND a.submitted_by <> $3 AND NOT ($3 = ANY(a.contributors))
    AND NOT EXISTS (
      SELECT 1 FROM approval_decisions d
      WHERE d.approval_id = a.id AND d.stage_index = s.index AND d.decided_by = $3
    )`;

/** The approver's inbox: what they may decide now, the stage due soonest first. */
@Injectable()
export class InboxService {
  constructor(private readonly ds: DataSource) {}

  async inbox(caller: Principal, first = 20, after?: string | null): Promise<ContentConnection> {
    if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
      throw new BadInputError(`first must be between 0 and ${MAX_PAGE_SIZE}`, [
        { field: 'first', rule: 'PAGE_SIZE', message: `Ask for 0 to ${MAX_PAGE_SIZE} items` },
      ]);
    }
    const from = after ? decodeCursor(after) : null;
    const params: unknown[] = [caller.roles, caller.departmentId ?? null, caller.subject];
    return asCaller(this.ds, caller, async (em) => {
      const [{ n }] = (await em.query(`SELECT count(*)::int AS n ${DECIDABLE}`, params)) as { n: number }[];
      const pageParams = [...params, first + 1];
      let keyset = '';
      if (from) {
        pageParams.push(from.due, from.id);
        keyset = `AND (s.due_at, a.id) > ($5::timestamptz, $6::uuid)`;
      }
      const rows = (await em.query(
        `SELECT a.id, a.content_id AS "contentId",
                to_char(s.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS due
         ${DECIDABLE} ${keyset}
         ORDER BY s.due_at, a.id
         LIMIT $4`,
        pageParams,
      )) as { id: string; contentId: string; due: string }[];
      const edges = rows.slice(0, first).map((r) => ({
        node: { __typename: 'Content' as const, id: r.contentId },
        cursor: encodeCursor({ due: r.due, id: r.id }),
      }));
      return {
        edges,
        pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
        totalCount: n,
      };
    });
  }
}
