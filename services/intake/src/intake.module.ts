import { join } from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import type { IdentityDirectory, VerifierOptions } from '@prasar/auth';
import { TOPICS } from '@prasar/contracts';
import { EventingModule, type ConsumerOptions } from '@prasar/kafka';
import { PersistenceModule } from '@prasar/persistence';
import { subgraphModule } from '@prasar/graphql';
import { AccountsService } from './accounts/accounts.service';
import { AuditTrail } from './audit/audit.service';
import { ComplianceService } from './compliance/compliance.service';
import { AuditAnchorLogger, AuditVerificationResolver } from './audit/audit.resolver';
import { CompliancePolicyResolver, DepartmentMinistersResolver } from './compliance/compliance.resolver';
import { ContentListing } from './content/content.listing';
import { ContentResolver } from './content/content.resolver';
import { ContentService } from './content/content.service';
import { StatusReconciler } from './content/status-reconciler';
import { DailyAchievementGauge } from './daily/daily-achievement';
import { intakeDataSourceOptions } from './data-source';
import { DepartmentResolver, ViewerResolver } from './department/department.resolver';
import { DepartmentService } from './department/department.service';
import { ApprovalEventsHandler } from './events/approval-events.handler';
import { PublishEventsHandler } from './events/publish-events.handler';
import { PublicationProgressHandler } from './events/schedule-events.handler';
import {
  IDENTITY_DIRECTORY,
  IntegrationClientResolver,
  IntegrationClients,
} from './integration/integration-clients';

/** What intake consumes: the approval service's decisions and the publisher's account and publication events. */
export const INTAKE_CONSUMER: ConsumerOptions = {
  groupId: 'prasar-intake',
  topics: [TOPICS.approval, TOPICS.schedule, TOPICS.publish],
  transactionBatchSize: 100,
};

export interface IntakeModuleOptions {
  databaseUrl: string;
  brokers: string[];
  auth: VerifierOptions;
  /** The identity provider's directory for integration clients (none: managed at the provider). */
  directory?: IdentityDirectory;
  /** Consumer group and topics (tests use their own). */
  consume?: ConsumerOptions;
}

/** Intake without process-level concerns (telemetry, configuration), so tests can build it too. */
@Module({})
export class IntakeModule {
  static forRoot(options: IntakeModuleOptions): DynamicModule {
    return {
      module: IntakeModule,
      imports: [
        PersistenceModule.forRoot(intakeDataSourceOptions(options.databaseUrl)),
        EventingModule.forRoot({
          service: 'intake',
          brokers: options.brokers,
          consume: options.consume ?? INTAKE_CONSUMER,
        }),
        subgraphModule({ schemaPath: join(__dirname, 'schema.graphql'), auth: options.auth }),
      ],
      controllers: [ApprovalEventsHandler, PublishEventsHandler, PublicationProgressHandler],
      providers: [
        DailyAchievementGauge,
        AuditTrail,
        AccountsService,
        ComplianceService,
        DepartmentService,
        DepartmentResolver,
        DepartmentMinistersResolver,
        ViewerResolver,
        ContentService,
        StatusReconciler,
        ContentListing,
        ContentResolver,
        CompliancePolicyResolver,
        AuditVerificationResolver,
        AuditAnchorLogger,
        { provide: IDENTITY_DIRECTORY, useValue: options.directory ?? null },
        IntegrationClients,
        IntegrationClientResolver,
      ],
    };
  }
}
