import { KafkaOutboxInbox1764100000000 } from '@prasar/kafka';
import type { ServiceDataSourceOptions } from '@prasar/persistence';
import { AuditEntry } from './audit/audit-entry.entity';
import { Content, ContentVersion } from './content/content.entity';
import { Department } from './department/department.entity';
import { IntakeInitial1764100000001 } from './migrations/1764100000001-IntakeInitial';

/** Intake's tables and migrations, shared by the service and its migration command. */
export function intakeDataSourceOptions(url: string): ServiceDataSourceOptions {
  return {
    service: 'intake',
    url,
    entities: [Department, Content, ContentVersion, AuditEntry],
    migrations: [KafkaOutboxInbox1764100000000, IntakeInitial1764100000001],
  };
}
