// The publisher's read model of intake's compliance policy and people registry. The last check
// before publishing reads it in the claiming transaction, so it uses the policy as it is at the
// moment of publishing (as far as intake's events have reached the publisher), never the one the
// content was approved under, nor the library's default once the IT cell has set one.
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import {
  compilePolicy,
  DEFAULT_POLICY,
  PERSON_ROLES,
  type CompiledPolicy,
  type CompliancePolicy,
  type PersonRole,
} from '@prasar/compliance';
import {
  CompliancePolicyChangedSchema,
  DepartmentMinistersChangedSchema,
  eventTypeOf,
  PersonRole as PbPersonRole,
  TOPICS,
  type CompliancePolicyChanged,
  type DepartmentMinistersChanged,
} from '@prasar/contracts';
import { EventConsumer, EventRuntime, type ConsumerOptions, type EventHandler } from '@prasar/kafka';
import { createLogger } from '@prasar/telemetry';
import { isUuid } from '../ids';

const logger = createLogger('compliance-policy');
const POLICY_ROW = 1;

/** What the last check needs besides the content: the state's policy and the department's ministers. */
export interface PolicyAtPublish {
  policy: CompiledPolicy;
  revision: number;
  departmentMinisterNames: string[];
}

@Injectable()
export class CompliancePolicies {
  /** The compiled policy of the last revision read, reused until a newer revision arrives. */
  private cached?: { revision: number; compiled: CompiledPolicy };

  /** CompliancePolicyChanged: keeps the highest revision (a redelivered older one changes nothing). */
  async policyChanged(em: EntityManager, e: CompliancePolicyChanged): Promise<void> {
    if (!e.policy || e.revision <= 0) {
      logger.warn({ revision: e.revision }, 'CompliancePolicyChanged without a policy or revision: ignored');
      return;
    }
    const roles = e.policy.adPhotoAllowList
      .map((r) => PbPersonRole[r] as string | undefined)
      .filter((r): r is PersonRole => (PERSON_ROLES as readonly (string | undefined)[]).includes(r));
    const political = e.policy.political
      ? {
          partyNames: [...e.policy.political.partyNames],
          symbols: [...e.policy.political.symbols],
          domains: [...e.policy.political.domains],
        }
      : DEFAULT_POLICY.political;
    await em.query(
      `INSERT INTO compliance_policy (id, revision, ad_photo_allow_list, allow_department_minister, political, changed_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET revision = EXCLUDED.revision,
         ad_photo_allow_list = EXCLUDED.ad_photo_allow_list,
         allow_department_minister = EXCLUDED.allow_department_minister,
         political = EXCLUDED.political, changed_at = EXCLUDED.changed_at
       WHERE compliance_policy.revision < EXCLUDED.revision`,
      [
        POLICY_ROW,
        e.revision,
        roles,
        e.policy.allowDepartmentMinister,
        JSON.stringify(political),
        e.changedAt ? timestampDate(e.changedAt) : new Date(),
      ],
    );
  }

  /** DepartmentMinistersChanged: replaces the department's names unless a later change is already here. */
  async ministersChanged(em: EntityManager, e: DepartmentMinistersChanged): Promise<void> {
    if (!isUuid(e.departmentId)) {
      logger.warn(
        { departmentId: e.departmentId },
        'DepartmentMinistersChanged without a department: ignored',
      );
      return;
    }
    await em.query(
      `INSERT INTO department_ministers (department_id, names, changed_at) VALUES ($1, $2, $3)
       ON CONFLICT (department_id) DO UPDATE SET names = EXCLUDED.names, changed_at = EXCLUDED.changed_at
       WHERE department_ministers.changed_at <= EXCLUDED.changed_at`,
      [e.departmentId, [...e.names], e.changedAt ? timestampDate(e.changedAt) : new Date()],
    );
  }

  /** The policy and the department's ministers now, read in the caller's transaction. */
  async atPublish(em: EntityManager, departmentId: string): Promise<PolicyAtPublish> {
    const [row] = (await em.query(
      `SELECT revision, ad_photo_allow_list, allow_department_minister, political
         FROM compliance_policy WHERE id = $1`,
      [POLICY_ROW],
    )) as {
      revision: number;
      ad_photo_allow_list: PersonRole[];
      allow_department_minister: boolean;
      political: CompliancePolicy['political'];
    }[];
    const [ministers] = (await em.query(`SELECT names FROM department_ministers WHERE department_id = $1`, [
      departmentId,
    ])) as { names: string[] }[];
    return {
      policy: row ? this.compiled(row) : compilePolicy(DEFAULT_POLICY),
      revision: row?.revision ?? 0,
      departmentMinisterNames: ministers?.names ?? [],
    };
  }

  private compiled(row: {
    revision: number;
    ad_photo_allow_list: PersonRole[];
    allow_department_minister: boolean;
    political: CompliancePolicy['political'];
  }): CompiledPolicy {
    if (this.cached?.revision !== row.revision) {
      this.cached = {
        revision: row.revision,
        compiled: compilePolicy({
          adPhotoAllowList: row.ad_photo_allow_list,
          allowDepartmentMinister: row.allow_department_minister,
          political: row.political,
        }),
      };
    }
    return this.cached.compiled;
  }
}

/**
 * Intake's policy events reach the publisher through a consumer group of their own, not the
 * publisher's main one: a group whose members subscribe to different topics (replicas of two
 * versions during a rolling upgrade) can hand a content partition to a replica that would skip the
 * event, and the policy change would be lost. Only these two event types are handled; the
 * content topic's other events are acknowledged and ignored.
 */
export const COMPLIANCE_POLICY_CONSUMER: ConsumerOptions = {
  groupId: 'prasar-publisher-compliance-policy',
  topics: [TOPICS.content],
  transactionBatchSize: 100,
};

export const POLICY_CONSUMER_OPTIONS = Symbol('POLICY_CONSUMER_OPTIONS');

@Injectable()
export class CompliancePolicyConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly consumer: EventConsumer;
  private readonly autoStart: boolean;

  constructor(
    runtime: EventRuntime,
    ds: DataSource,
    policies: CompliancePolicies,
    @Inject(POLICY_CONSUMER_OPTIONS) options: { consume: ConsumerOptions; autoStart: boolean },
  ) {
    const handlers = new Map<string, EventHandler>([
      [
        eventTypeOf(CompliancePolicyChangedSchema),
        (e, em) => policies.policyChanged(em, e.message as CompliancePolicyChanged),
      ],
      [
        eventTypeOf(DepartmentMinistersChangedSchema),
        (e, em) => policies.ministersChanged(em, e.message as DepartmentMinistersChanged),
      ],
    ]);
    this.autoStart = options.autoStart;
    this.consumer = new EventConsumer(
      runtime.kafka,
      runtime.producer,
      ds,
      createLogger('compliance-policy-consumer'),
      options.consume,
      (type) => handlers.get(type),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.autoStart) await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }
}
