import { Injectable } from '@nestjs/common';
import {
  BadInputError,
  ForbiddenError,
  NotFoundError,
  canAccessDepartment,
  hasRole,
  isStateWide,
  type Principal,
} from '@prasar/auth';
import { DataSource, asCaller, type EntityManager } from '@prasar/persistence';
import { mailOf, type Message, type NotificationKind } from './messages';

/** The IT cell's audience: the nil UUID, a department no one belongs to (only '*' sees its rows). */
export const IT_CELL = '00000000-0000-0000-0000-000000000000';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (v: string | undefined): v is string => !!v && UUID.test(v);

/** At most this many addresses per department; each a plain address of at most 254 characters. */
export const MAX_CONTACTS = 20;
const EMAIL =
  /^[^\s@<>(),;:"[\]\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export interface NotifyOrder {
  /** The event (and, for derived ones, the occasion): one notification per key and audience. */
  key: string;
  kind: NotificationKind;
  /** A department, or IT_CELL. */
  departmentId: string;
  /** Only this role of the department is told (in the console); everyone when absent. */
  role?: string;
  /** Mail the audience's contact addresses too (one mail per notification). */
  email: boolean;
  message: Message;
  about: Record<string, unknown>;
}

export interface NotificationView {
  id: string;
  kind: NotificationKind;
  departmentId: string;
  role: string | null;
  subjectHi: string;
  subjectEn: string;
  bodyHi: string;
  bodyEn: string;
  about: Record<string, unknown>;
  createdAt: Date;
  readAt: Date | null;
}

export interface NotificationPage {
  edges: { cursor: string; node: NotificationView }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  unreadCount: number;
}

interface Row {
  id: string;
  kind: NotificationKind;
  department_id: string;
  audience_role: string;
  subject_hi: string;
  subject_en: string;
  body_hi: string;
  body_en: string;
  about: Record<string, unknown>;
  created_at: Date;
  read_at: Date | null;
}

const view = (r: Row): NotificationView => ({
  id: r.id,
  kind: r.kind,
  departmentId: r.department_id,
  role: r.audience_role || null,
  subjectHi: r.subject_hi,
  subjectEn: r.subject_en,
  bodyHi: r.body_hi,
  bodyEn: r.body_en,
  about: r.about,
  createdAt: r.created_at,
  readAt: r.read_at,
});

const encodeCursor = (r: { created_at: Date; id: string }) =>
  Buffer.from(JSON.stringify([r.created_at.toISOString(), r.id])).toString('base64url');

function decodeCursor(cursor: string): { at: Date; id: string } {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && isUuid(v[1] as string)) {
      const at = new Date(v[0]);
      if (!Number.isNaN(at.getTime())) return { at, id: v[1] as string };
    }
  } catch {
    // falls through to the refusal
  }
  throw new BadInputError('after is not a cursor of this list', [
    { field: 'after', rule: 'cursor', message: 'Pass an endCursor or edge cursor from a previous page' },
  ]);
}

/**
 * Who is told what. Event handlers and the clock call `notify` inside the transaction that records
 * their event (the inbox) or occasion, so an event redelivered, or a clock tick repeated, tells no
 * one twice: the notification is unique per key and audience, and its mail is queued in the same
 * statement's transaction. People read their list scoped like everything else.
 */
@Injectable()
export class NotificationsService {
  constructor(private readonly ds: DataSource) {}

  /** Records one notification (and queues its mail); false when it was already recorded. */
  async notify(em: EntityManager, o: NotifyOrder): Promise<boolean> {
    const m = o.message;
    const inserted: { id: string }[] = await em.query(
      `INSERT INTO notifications (event_key, department_id, audience_role, kind, subject_hi, subject_en, body_hi, body_en, about)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (event_key, department_id, audience_role) DO NOTHING
       RETURNING id`,
      [o.key, o.departmentId, o.role ?? '', o.kind, m.subjectHi, m.subjectEn, m.bodyHi, m.bodyEn, o.about],
    );
    if (inserted.length === 0) return false;
    if (o.email) {
      const [contacts]: { emails: string[] }[] = await em.query(
        `SELECT emails FROM notification_contacts WHERE department_id = $1`,
        [o.departmentId],
      );
      if (contacts?.emails.length) {
        const mail = mailOf(m);
        await em.query(
          `INSERT INTO notification_emails (notification_id, department_id, recipients, message_id, subject, body)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [
            inserted[0].id,
            o.departmentId,
            contacts.emails,
            `<${inserted[0].id}@notifications.prasar>`,
            mail.subject,
            mail.body,
          ],
        );
      }
    }
    return true;
  }

  /** Every department analytics knows (the audience of state-wide news such as blackouts). */
  async knownDepartments(em: EntityManager): Promise<string[]> {
    const rows: { department_id: string }[] = await em.query(`SELECT department_id FROM departments`);
    return rows.map((r) => r.department_id);
  }

  /**
   * The caller's own list, newest first: their department's notifications for everyone or for one
   * of their roles; the IT cell's for the IT cell.
   */
  async list(caller: Principal, first: number, after?: string | null): Promise<NotificationPage> {
    if (!Number.isInteger(first) || first < 1 || first > 100) {
      throw new BadInputError('first must be between 1 and 100', [
        { field: 'first', rule: 'range', message: 'Between 1 and 100' },
      ]);
    }
    const cursor = after ? decodeCursor(after) : null;
    const audience = isStateWide(caller) ? IT_CELL : caller.departmentId;
    if (!audience) return { edges: [], pageInfo: { hasNextPage: false, endCursor: null }, unreadCount: 0 };
    const roles = isStateWide(caller) ? [''] : ['', ...caller.roles];
    return asCaller(this.ds, caller, async (em) => {
      const rows: Row[] = await em.query(
        `SELECT n.*, r.read_at FROM notifications n
           LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.subject = $3
          WHERE n.department_id = $1 AND n.audience_role = ANY($2)
            AND ($4::timestamptz IS NULL OR (n.created_at, n.id) < ($4, $5::uuid))
          ORDER BY n.created_at DESC, n.id DESC
          LIMIT $6`,
        [audience, roles, caller.subject, cursor?.at ?? null, cursor?.id ?? null, first + 1],
      );
      const [{ n: unreadCount }]: { n: number }[] = await em.query(
        `SELECT count(*)::int AS n FROM notifications n
          WHERE n.department_id = $1 AND n.audience_role = ANY($2)
            AND NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.subject = $3)`,
        [audience, roles, caller.subject],
      );
      const page = rows.slice(0, first);
      const edges = page.map((r) => ({ cursor: encodeCursor(r), node: view(r) }));
      return {
        edges,
        pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
        unreadCount,
      };
    });
  }

  /** Marks one of the caller's notifications read (again: no change); another's is NOT_FOUND. */
  async markRead(caller: Principal, id: string): Promise<NotificationView> {
    if (!isUuid(id)) throw new NotFoundError('Notification', id);
    const audience = isStateWide(caller) ? IT_CELL : caller.departmentId;
    const roles = isStateWide(caller) ? [''] : ['', ...caller.roles];
    return asCaller(this.ds, caller, async (em) => {
      const [row]: Row[] = await em.query(
        `SELECT n.*, NULL::timestamptz AS read_at FROM notifications n
          WHERE n.id = $1 AND n.department_id = $2 AND n.audience_role = ANY($3)`,
        [id, audience ?? IT_CELL, roles],
      );
      if (!row || !audience) throw new NotFoundError('Notification', id);
      await em.query(
        `INSERT INTO notification_reads (notification_id, subject, department_id, read_at)
         VALUES ($1, $2, $3, now()) ON CONFLICT (notification_id, subject) DO NOTHING`,
        [id, caller.subject, row.department_id],
      );
      const [{ read_at }]: { read_at: Date }[] = await em.query(
        `SELECT read_at FROM notification_reads WHERE notification_id = $1 AND subject = $2`,
        [id, caller.subject],
      );
      return view({ ...row, read_at });
    });
  }

  /** A department's contact addresses (its admin or the IT cell), or the IT cell's (IT cell only). */
  async setContacts(caller: Principal, departmentId: string, emails: string[]): Promise<string[]> {
    const itCell = departmentId === IT_CELL;
    if (!isUuid(departmentId) || (!itCell && !canAccessDepartment(caller, departmentId))) {
      throw new NotFoundError('Department', departmentId);
    }
    if (itCell ? !isStateWide(caller) : !isStateWide(caller) && !hasRole(caller, 'DEPT_ADMIN')) {
      throw new ForbiddenError('Only the department admin or the IT cell sets contact addresses');
    }
    const clean = [...new Set(emails.map((e) => e.trim().toLowerCase()))];
    const violations = clean.flatMap((e, i) =>
      e.length > 254 || !EMAIL.test(e)
        ? [{ field: `emails.${i}`, rule: 'email', message: 'Not an email address' }]
        : [],
    );
    if (clean.length > MAX_CONTACTS) {
      violations.push({ field: 'emails', rule: 'maxItems', message: `At most ${MAX_CONTACTS} addresses` });
    }
    if (violations.length) throw new BadInputError('Invalid contact addresses', violations);
    return asCaller(this.ds, caller, async (em) => {
      await em.query(
        `INSERT INTO notification_contacts (department_id, emails, updated_by, updated_at)
         VALUES ($1, $2, $3, now())
         ON CONFLICT (department_id) DO UPDATE SET emails = $2, updated_by = $3, updated_at = now()`,
        [departmentId, clean, caller.subject],
      );
      return clean;
    });
  }

  async contacts(caller: Principal, departmentId: string): Promise<string[]> {
    const itCell = departmentId === IT_CELL;
    if (
      !isUuid(departmentId) ||
      (itCell ? !isStateWide(caller) : !canAccessDepartment(caller, departmentId))
    ) {
      throw new NotFoundError('Department', departmentId);
    }
    return asCaller(this.ds, caller, async (em) => {
      const [row]: { emails: string[] }[] = await em.query(
        `SELECT emails FROM notification_contacts WHERE department_id = $1`,
        [departmentId],
      );
      return row?.emails ?? [];
    });
  }
}
