import { KafkaOutboxInbox1764100000000 } from '@prasar/kafka';
import { IdempotencyKeys1764900000000, type ServiceDataSourceOptions } from '@prasar/persistence';
import { PublishedText, TargetAccount } from './accounts/target-account.entity';
import { AuditEntry } from './audit/audit-entry.entity';
import { CompliancePolicyRow, DepartmentMinister } from './compliance/compliance.entity';
import { Content, ContentVersion } from './content/content.entity';
import { Department } from './department/department.entity';
import { IntakeInitial1764100000001 } from './migrations/1764100000001-IntakeInitial';
import { IntakeContentSearch1764300000001 } from './migrations/1764300000001-IntakeContentSearch';
import { IntakeAccountsAndCompliance1764300000002 } from './migrations/1764300000002-IntakeAccountsAndCompliance';
import { IntakeRowLevelSecurity1764300000003 } from './migrations/1764300000003-IntakeRowLevelSecurity';
import { IntakePublicationProgress1764300000004 } from './migrations/1764300000004-IntakePublicationProgress';

/** Intake's tables and migrations, shared by the service and its migration command. */
export function intakeDataSourceOptions(url: string): ServiceDataSourceOptions {
  return {
    service: 'intake',
    url,
    entities: [
      Department,
      Content,
      ContentVersion,
      AuditEntry,
      TargetAccount,
      PublishedText,
      CompliancePolicyRow,
      DepartmentMinister,
    ],
    migrations: [
      KafkaOutboxInbox1764100000000,
      IntakeInitial1764100000001,
      IntakeContentSearch1764300000001,
      IntakeAccountsAndCompliance1764300000002,
      IntakeRowLevelSecurity1764300000003,
      IntakePublicationProgress1764300000004,
      IdempotencyKeys1764900000000,
    ],
  };
}
