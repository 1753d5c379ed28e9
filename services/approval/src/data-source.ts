import { KafkaOutboxInbox1764100000000 } from '@prasar/kafka';
import type { ServiceDataSourceOptions } from '@prasar/persistence';
import { Approval, ApprovalDecision, ApprovalStage } from './approval/approval.entity';
import { ApprovalInitial1764100000002 } from './migrations/1764100000002-ApprovalInitial';
import { ApprovalDecisions1795700680260 } from './migrations/1795700680260-ApprovalDecisions';
import { ApprovalTenantIsolation1795700680261 } from './migrations/1795700680261-ApprovalTenantIsolation';
import { ApprovalContributors1795800000001 } from './migrations/1795800000001-ApprovalContributors';
import { Workflow } from './workflow/workflow.entity';

/** Approval's tables and migrations, shared by the service and its migration command. */
export function approvalDataSourceOptions(url: string): ServiceDataSourceOptions {
  return {
    service: 'approval',
    url,
    entities: [Approval, ApprovalStage, ApprovalDecision, Workflow],
    migrations: [
      KafkaOutboxInbox1764100000000,
      ApprovalInitial1764100000002,
      ApprovalDecisions1795700680260,
      ApprovalTenantIsolation1795700680261,
      ApprovalContributors1795800000001,
    ],
  };
}
