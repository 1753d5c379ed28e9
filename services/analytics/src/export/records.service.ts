import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  BadInputError,
  canAccessDepartment,
  ForbiddenError,
  hasRole,
  NotFoundError,
  type Principal,
  type Role,
} from '@prasar/auth';
import { ALL_DEPARTMENTS, setTenant } from '@prasar/persistence';
import { departmentScope } from '@prasar/auth';

/**
 * One exported record: content, a version, a decision, a publication, or an audit entry (with its
 * place in the content's SHA-256 hash chain: `audit_seq`, `prev_hash`, `hash`; `actor` and
 * `comment` hold who and why).
 */
export const RECORD_COLUMNS = [
  'record_type',
  'at',
  'department_id',
  'content_id',
  'content_version',
  'kind',
  'title',
  'body',
  'link',
  'decision',
  'stage_index',
  'actor',
  'comment',
  'publication_id',
  'account_id',
  'platform',
  'state',
  'scheduled_at',
  'published_at',
  'external_id',
  'url',
  'audit_seq',
  'audit_action',
  'from_status',
  'to_status',
  'prev_hash',
  'hash',
] as const;
export type RecordRow = Record<(typeof RECORD_COLUMNS)[number], string | number | null>;

export interface ExportRequest {
  departmentId: string;
  from: Date;
  to: Date;
}

/**
 * Who may export a department's records: the IT cell (any department, for audits) and, for their
 * own department, its admin and its approvers (the officers who answer Right to Information
 * requests for it). Editors, viewers, the minister's office and integrations may not: the export
 * holds every version, decision and comment of the department.
 */
export const EXPORT_ROLES: readonly Role[] = ['IT_CELL_ADMIN', 'DEPT_ADMIN', 'DEPT_APPROVER'];

const isUuid = (v: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);
const FETCH_SIZE = 500;

// Every record of one department whose own time falls in [from, to), oldest first. Text columns
// only, so CSV and JSON render the same values.
const RECORDS_SQL = `
  SELECT * FROM (
    SELECT 'content' AS record_type, created_at AS at, department_id, content_id, version AS content_version,
           kind, title, NULL::text AS body, NULL::text AS link, NULL::text AS decision, NULL::int AS stage_index,
           created_by AS actor, NULL::text AS comment, NULL::uuid AS publication_id, NULL::text AS account_id,
           NULL::text AS platform, NULL::text AS state, NULL::timestamptz AS scheduled_at,
           NULL::timestamptz AS published_at, NULL::text AS external_id, NULL::text AS url,
           NULL::bigint AS audit_seq, NULL::text AS audit_action, NULL::text AS from_status, NULL::text AS to_status,
           NULL::text AS prev_hash, NULL::text AS hash
      FROM contents WHERE department_id = $1 AND created_at >= $2 AND created_at < $3
    UNION ALL
    SELECT 'version', at, department_id, content_id, version, kind, title, body::text, link, NULL, NULL,
           actor, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM content_versions WHERE department_id = $1 AND at >= $2 AND at < $3
    UNION ALL
    SELECT 'decision', decided_at, department_id, content_id, version, NULL, NULL, NULL, NULL, decision, stage_index,
           actor, comment, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
      FROM decisions WHERE department_id = $1 AND decided_at >= $2 AND decided_at < $3
    UNION ALL
    SELECT 'publication', COALESCE(published_at, scheduled_at), department_id, content_id, content_version, kind, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, publication_id, account_id, platform, state, scheduled_at,
           published_at, external_id, url, NULL, NULL, NULL, NULL, NULL, NULL
      FROM publications
     WHERE department_id = $1 AND COALESCE(published_at, scheduled_at) >= $2 AND COALESCE(published_at, scheduled_at) < $3
    UNION ALL
    SELECT 'audit', at, department_id, content_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           actor, note, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           seq, action, from_status, to_status, prev_hash, hash
      FROM audit_entries WHERE department_id = $1 AND at >= $2 AND at < $3
  ) r
  ORDER BY at, record_type, content_id, content_version, publication_id, audit_seq`;

/** Reads a department's records for a period through a server-side cursor, a page at a time. */
@Injectable()
export class RecordsService {
  constructor(private readonly ds: DataSource) {}

  /**
   * Checks the request before anything is streamed: only EXPORT_ROLES may export (FORBIDDEN), and
   * another department's answers NOT_FOUND.
   */
  authorize(caller: Principal, req: ExportRequest): void {
    if (!hasRole(caller, ...EXPORT_ROLES))
      throw new ForbiddenError(`Only ${EXPORT_ROLES.join(', ')} may export records`);
    if (!isUuid(req.departmentId) || !canAccessDepartment(caller, req.departmentId)) {
      throw new NotFoundError('Department', req.departmentId);
    }
    if (Number.isNaN(req.from.getTime()) || Number.isNaN(req.to.getTime()) || req.to <= req.from) {
      throw new BadInputError('Give a period: from < to', [
        { field: 'to', rule: 'AFTER_FROM', message: '`from` and `to` must be ISO times with from < to' },
      ]);
    }
  }

  /** Yields every record, FETCH_SIZE rows at a time, in one read-only transaction under the caller's tenant. */
  async *records(caller: Principal, req: ExportRequest): AsyncGenerator<RecordRow> {
    this.authorize(caller, req);
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      await runner.query('SET TRANSACTION READ ONLY');
      await setTenant(runner.manager, departmentScope(caller) ?? ALL_DEPARTMENTS);
      await runner.query(`DECLARE records_export NO SCROLL CURSOR FOR ${RECORDS_SQL}`, [
        req.departmentId,
        req.from,
        req.to,
      ]);
      for (;;) {
        const page: RecordRow[] = await runner.query(`FETCH ${FETCH_SIZE} FROM records_export`);
        for (const row of page) yield row;
        if (page.length < FETCH_SIZE) break;
      }
      await runner.commitTransaction();
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  }
}

/**
 * A text a spreadsheet would run as a formula (or use to smuggle one in): it starts with = + - @, a
 * tab or a carriage return (OWASP "CSV injection").
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A text a spreadsheet
 * would run as a formula gets a leading apostrophe, so it is shown as the text it is; numbers and
 * times are written as they are.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** A row with times as ISO strings, for JSON. */
export function jsonRecord(row: RecordRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of RECORD_COLUMNS) {
    const v = row[c] as unknown;
    out[c] = v instanceof Date ? v.toISOString() : (v ?? null);
  }
  return out;
}
