import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  BadInputError,
  canAccessDepartment,
  ForbiddenError,
  hasRole,
  NotFoundError,
  type Principal,
  type Role,
  type Violation,
} from '@prasar/auth';
import { asCaller } from '@prasar/persistence';
import { createLogger } from '@prasar/telemetry';
import { SocialAccount } from '../accounts/account.entity';
import { isUuid } from '../ids';

const logger = createLogger('whatsapp-subscribers');

/** Roles that record opt-ins: the department's admin, its systems (a sign-up form), and the IT cell. */
export const OPT_IN_ROLES: Role[] = ['DEPT_ADMIN', 'INTEGRATION', 'IT_CELL_ADMIN'];

export interface WhatsAppOptIn {
  phoneNumber: string;
  optedInAt: Date;
  source: string;
  evidence: string;
}

/** A WhatsApp id as the Cloud API uses it: the number's digits, country code first. */
export function waIdOf(phoneNumber: string): string {
  return phoneNumber.replace(/\D/g, '');
}

const STOP_WORDS = /^\s*(stop|unsubscribe|बंद|रोकें)\s*[.!]?\s*$/i;
const START_WORDS = /^\s*(start|subscribe|join|शुरू)\s*[.!]?\s*$/i;

/** What an inbound message asks for: to stop broadcasts, to receive them, or nothing we act on. */
export function intentOf(text: string): 'opt-out' | 'opt-in' | null {
  if (STOP_WORDS.test(text)) return 'opt-out';
  if (START_WORDS.test(text)) return 'opt-in';
  return null;
}

/**
 * A department's WhatsApp subscribers: opt-ins with their evidence, opt-outs as they arrive. A
 * later opt-out always wins over an earlier opt-in, whatever order they are recorded in.
 */
@Injectable()
export class SubscribersService {
  constructor(private readonly ds: DataSource) {}

  /** Records opt-ins (a department's admin or its systems); returns the account's subscribers now. */
  async recordOptIns(caller: Principal, accountId: string, optIns: WhatsAppOptIn[]): Promise<number> {
    if (!hasRole(caller, ...OPT_IN_ROLES))
      throw new ForbiddenError('Your role may not record WhatsApp opt-ins');
    const violations: Violation[] = [];
    optIns.forEach((o, i) => {
      const digits = waIdOf(o.phoneNumber);
      if (digits.length < 8 || digits.length > 15)
        violations.push({
          field: `optIns[${i}].phoneNumber`,
          rule: 'FORMAT',
          message: 'A phone number with its country code',
        });
      if (!o.source.trim())
        violations.push({
          field: `optIns[${i}].source`,
          rule: 'REQUIRED',
          message: 'Say how the consent was collected',
        });
      if (!o.evidence.trim())
        violations.push({
          field: `optIns[${i}].evidence`,
          rule: 'REQUIRED',
          message: 'Give what proves the consent',
        });
      if (o.optedInAt.getTime() > Date.now() + 60_000)
        violations.push({
          field: `optIns[${i}].optedInAt`,
          rule: 'NOT_IN_FUTURE',
          message: 'An opt-in cannot be in the future',
        });
    });
    if (optIns.length > 10_000)
      violations.push({ field: 'optIns', rule: 'MAX_ITEMS', message: 'At most 10,000 opt-ins per call' });
    if (violations.length) throw new BadInputError('The opt-ins cannot be recorded as given', violations);
    return asCaller(this.ds, caller, async (em) => {
      const account = isUuid(accountId) ? await em.findOneBy(SocialAccount, { id: accountId }) : null;
      if (!account || account.platform !== 'WHATSAPP' || !canAccessDepartment(caller, account.departmentId))
        throw new NotFoundError('WhatsApp account', accountId);
      for (const o of optIns)
        await this.optIn(
          em,
          account,
          waIdOf(o.phoneNumber),
          o.optedInAt,
          o.source.trim(),
          o.evidence.trim(),
          caller.subject,
        );
      const [{ n }] = await em.query(
        `SELECT count(*)::int AS n FROM whatsapp_subscribers WHERE account_id = $1 AND opted_out_at IS NULL`,
        [account.id],
      );
      return n;
    });
  }

  /** Subscribes one person; an opt-out recorded after `at` stands. */
  async optIn(
    em: EntityManager,
    account: SocialAccount,
    waId: string,
    at: Date,
    source: string,
    evidence: string,
    recordedBy: string,
  ): Promise<void> {
    await em.query(
      `INSERT INTO whatsapp_subscribers (account_id, wa_id, department_id, opted_in_at, opt_in_source, opt_in_evidence, recorded_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (account_id, wa_id) DO UPDATE SET opted_in_at = EXCLUDED.opted_in_at,
         opt_in_source = EXCLUDED.opt_in_source, opt_in_evidence = EXCLUDED.opt_in_evidence,
         recorded_by = EXCLUDED.recorded_by, opted_out_at = NULL, opt_out_evidence = NULL
       WHERE whatsapp_subscribers.opted_out_at IS NULL OR whatsapp_subscribers.opted_out_at < EXCLUDED.opted_in_at`,
      [account.id, waId, account.departmentId, at, source.slice(0, 200), evidence.slice(0, 1000), recordedBy],
    );
  }

  /** Unsubscribes one person at once (their STOP), keeping what proves it. */
  async optOut(
    em: EntityManager,
    account: SocialAccount,
    waId: string,
    at: Date,
    evidence: string,
  ): Promise<void> {
    const [, changed] = await em.query(
      `UPDATE whatsapp_subscribers SET opted_out_at = $3, opt_out_evidence = $4
       WHERE account_id = $1 AND wa_id = $2 AND (opted_out_at IS NULL OR opted_out_at < $3)`,
      [account.id, waId, at, evidence.slice(0, 1000)],
    );
    logger.info({ accountId: account.id, changed }, 'WhatsApp opt-out recorded');
  }
}
