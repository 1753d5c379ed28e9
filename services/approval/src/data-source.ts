import { KafkaOutboxInbox1764100000000 } from '@prasar/kafka';
import type { ServiceDataSourceOptions } from '@prasar/persistence';
import { ApprovalInitial1764100000002 } from './migrations/1764100000002-ApprovalInitial';
import { Approval, ApprovalStage } from './workflow/approval.entity';

/** Approval's tables and migrations, shared by the service and its migration command. */
export function approvalDataSourceOptions(url: string): ServiceDataSourceOptions {
  return {
    service: 'approval',
    url,
    entities: [Approval, ApprovalStage],
    migrations: [KafkaOutboxInbox1764100000000, ApprovalInitial1764100000002],
  };
}
