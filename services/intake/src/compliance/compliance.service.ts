import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  BadInputError,
  canAccessDepartment,
  ForbiddenError,
  isStateWide,
  NotFoundError,
  type Principal,
  type Violation,
} from '@prasar/auth';
import {
  checkCompliance,
  compilePolicy,
  composeVariantText,
  DEFAULT_POLICY,
  type CompiledPolicy,
  type ComplianceReport,
  type ComplianceTarget,
  type CompliancePolicy,
  type PersonRole,
} from '@prasar/compliance';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  CompliancePolicyChangedSchema,
  DepartmentMinistersChangedSchema,
  PersonRole as PbPersonRole,
} from '@prasar/contracts';
import { EventPublisher } from '@prasar/kafka';
import { asCaller } from '@prasar/persistence';
import { AccountsService, publishedKey, textHash } from '../accounts/accounts.service';
import type { TargetAccount } from '../accounts/target-account.entity';
import type { ContentBody } from '../content/content.entity';
import { isUuid } from '../content/ids';
import { actorOf } from '../content/snapshot';
import { Department } from '../department/department.entity';
import { CompliancePolicyRow, DepartmentMinister } from './compliance.entity';

/** The policy as the API shows it. */
export interface PolicyView {
  adPhotoAllowList: PersonRole[];
  allowDepartmentMinister: boolean;
  updatedBy: string | null;
  updatedAt: Date | null;
}

const POLICY_ROW = 1;
const MAX_NAME_LENGTH = 200;

/**
 * Runs `@prasar/compliance` with what only intake knows: the state's policy (a `compliance_policy`
 * row, or DEFAULT_POLICY), the department's ministers (people registry) and the texts already
 * published per account.
 */
@Injectable()
export class ComplianceService {
  /** The compiled policy of the last revision read, reused until the row changes. */
  private cached?: { version: string; compiled: CompiledPolicy };

  constructor(
    private readonly ds: DataSource,
    private readonly accounts: AccountsService,
    private readonly events: EventPublisher,
  ) {}

  /** Every rule for one content body and its (known) target accounts. */
  async check(
    em: EntityManager,
    departmentId: string,
    content: ContentBody,
    accounts: readonly TargetAccount[],
  ): Promise<ComplianceReport> {
    const targets: ComplianceTarget[] = accounts.map((a) => ({
      accountId: a.id,
      platform: a.platform,
      overrideText: content.overrides.find((o) => o.accountId === a.id)?.text ?? null,
    }));
    // One after the other: they share the transaction's connection.
    const policy = await this.compiledPolicy(em);
    const ministers = await this.ministers(em, departmentId);
    const published = await this.accounts.publishedAmong(
      em,
      targets.map((t) => ({ accountId: t.accountId, text: composeVariantText(content, t) })),
    );
    return checkCompliance(content, targets, policy, {
      isDuplicate: (accountId, text) => published.has(publishedKey(accountId, textHash(text))),
      departmentMinisterNames: ministers,
    });
  }

  /** The state's policy, compiled once per revision. */
  async compiledPolicy(em: EntityManager): Promise<CompiledPolicy> {
    const row = await em.findOneBy(CompliancePolicyRow, { id: POLICY_ROW });
    if (!row) return compilePolicy(DEFAULT_POLICY);
    const version = `${row.revision}@${row.updatedAt.toISOString()}`;
    if (this.cached?.version !== version) {
      const policy: CompliancePolicy = {
        adPhotoAllowList: row.adPhotoAllowList,
        allowDepartmentMinister: row.allowDepartmentMinister,
        political: row.political ?? DEFAULT_POLICY.political,
      };
      this.cached = { version, compiled: compilePolicy(policy) };
    }
    return this.cached.compiled;
  }

  /** The policy as the API shows it (every authenticated caller may read it: it is public policy). */
  async policy(caller: Principal): Promise<PolicyView> {
    return asCaller(this.ds, caller, async (em) => {
      const row = await em.findOneBy(CompliancePolicyRow, { id: POLICY_ROW });
      return {
        adPhotoAllowList: [...(row?.adPhotoAllowList ?? DEFAULT_POLICY.adPhotoAllowList)],
        allowDepartmentMinister: row?.allowDepartmentMinister ?? DEFAULT_POLICY.allowDepartmentMinister,
        updatedBy: row?.updatedBy ?? null,
        updatedAt: row?.updatedAt ?? null,
      };
    });
  }

  /**
   * The IT cell sets who may appear in advertisement photographs (the Supreme Court's allow-list,
   * narrowed or widened) and whether a department's own minister may (the 2016 modification).
   */
  async setAdvertisementAllowList(
    caller: Principal,
    roles: readonly PersonRole[],
    allowDepartmentMinister?: boolean | null,
  ): Promise<PolicyView> {
    if (!isStateWide(caller)) throw new ForbiddenError('Only the IT cell may change the compliance policy');
    await asCaller(this.ds, caller, async (em) => {
      const current = await em.findOne(CompliancePolicyRow, {
        where: { id: POLICY_ROW },
        lock: { mode: 'pessimistic_write' },
      });
      const row: CompliancePolicyRow = {
        id: POLICY_ROW,
        adPhotoAllowList: [...new Set(roles)],
        allowDepartmentMinister:
          allowDepartmentMinister ??
          current?.allowDepartmentMinister ??
          DEFAULT_POLICY.allowDepartmentMinister,
        political: current?.political ?? null,
        revision: (current?.revision ?? 0) + 1,
        updatedBy: caller.subject,
        updatedAt: new Date(),
      };
      await em.upsert(CompliancePolicyRow, row, ['id']);
      await this.announcePolicy(em, row, caller);
    });
    return this.policy(caller);
  }

  /**
   * Tells the other services (the publisher's last check before publishing) the policy as it now
   * is, complete, in the transaction of the change: CompliancePolicyChanged with its revision.
   */
  private async announcePolicy(
    em: EntityManager,
    row: CompliancePolicyRow,
    caller: Principal,
  ): Promise<void> {
    const political = row.political ?? DEFAULT_POLICY.political;
    await this.events.publish(em, {
      schema: CompliancePolicyChangedSchema,
      message: {
        policyId: 'state',
        revision: row.revision,
        policy: {
          adPhotoAllowList: row.adPhotoAllowList.map((r) => PbPersonRole[r]),
          allowDepartmentMinister: row.allowDepartmentMinister,
          political: {
            partyNames: [...political.partyNames],
            symbols: [...political.symbols],
            domains: [...political.domains],
          },
        },
        actor: actorOf(caller),
        changedAt: timestampFromDate(row.updatedAt),
      },
    });
  }

  /** A department's minister names, in the order the IT cell gave them. */
  async ministers(em: EntityManager, departmentId: string): Promise<string[]> {
    const rows = await em.find(DepartmentMinister, { where: { departmentId }, order: { position: 'ASC' } });
    return rows.map((r) => r.name);
  }

  /** The people registry, as the caller's tenant may see it. */
  ministersVisibleTo(caller: Principal, departmentId: string): Promise<string[]> {
    return asCaller(this.ds, caller, (em) => this.ministers(em, departmentId));
  }

  /** The IT cell records a department's minister(s), every spelling used in person tags; replaces the list. */
  async setDepartmentMinisters(
    caller: Principal,
    departmentId: string,
    names: readonly string[],
  ): Promise<Department> {
    if (!isStateWide(caller)) throw new ForbiddenError("Only the IT cell may record departments' ministers");
    const cleaned = [...new Set(names.map((n) => n.trim().replace(/\s+/g, ' ')))];
    const violations: Violation[] = [];
    names.forEach((n, i) => {
      if (!n.trim())
        violations.push({ field: `names[${i}]`, rule: 'REQUIRED', message: 'A name cannot be blank' });
      else if (n.trim().length > MAX_NAME_LENGTH)
        violations.push({
          field: `names[${i}]`,
          rule: 'MAX_LENGTH',
          message: `A name has at most ${MAX_NAME_LENGTH} characters`,
        });
    });
    return asCaller(this.ds, caller, async (em) => {
      const department = isUuid(departmentId) ? await em.findOneBy(Department, { id: departmentId }) : null;
      if (!department || !canAccessDepartment(caller, department.id))
        throw new NotFoundError('Department', departmentId);
      if (violations.length) throw new BadInputError('The names have problems to fix', violations);
      await em.delete(DepartmentMinister, { departmentId: department.id });
      const now = new Date();
      if (cleaned.length)
        await em.insert(
          DepartmentMinister,
          cleaned.map((name, position) => ({
            departmentId: department.id,
            position,
            name,
            updatedBy: caller.subject,
            updatedAt: now,
          })),
        );
      await this.events.publish(em, {
        schema: DepartmentMinistersChangedSchema,
        message: {
          departmentId: department.id,
          names: cleaned,
          actor: actorOf(caller),
          changedAt: timestampFromDate(now),
        },
      });
      return department;
    });
  }
}
