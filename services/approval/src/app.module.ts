import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { verifierOptionsFrom } from '@prasar/auth';
import { TOPICS } from '@prasar/contracts';
import { EventingModule } from '@prasar/kafka';
import { PersistenceModule } from '@prasar/persistence';
import { subgraphModule } from '@prasar/graphql';
import { TelemetryModule } from '@prasar/telemetry';
import { ApprovalResolver, ContentApprovalResolver } from './approval/approval.resolver';
import { ApprovalService } from './approval/approval.service';
import { ContentEventsHandler } from './approval/content-events.handler';
import { DecisionService } from './approval/decision.service';
import { InboxService } from './approval/inbox.service';
import { config } from './config';
import { approvalDataSourceOptions } from './data-source';
import { ESCALATION_OPTIONS, EscalationPoller } from './sla/escalation.poller';
import { WorkflowResolver } from './workflow/workflow.resolver';
import { WorkflowService } from './workflow/workflow.service';

@Module({
  imports: [
    TelemetryModule.forRoot({ serviceName: 'approval' }),
    PersistenceModule.forRoot(approvalDataSourceOptions(config.DATABASE_URL)),
    EventingModule.forRoot({
      service: 'approval',
      brokers: config.KAFKA_BROKERS,
      consume: { groupId: 'prasar-approval', topics: [TOPICS.content], transactionBatchSize: 100 },
    }),
    subgraphModule({
      schemaPath: join(__dirname, 'schema.graphql'),
      auth: verifierOptionsFrom(config),
    }),
  ],
  controllers: [ContentEventsHandler],
  providers: [
    WorkflowService,
    WorkflowResolver,
    ApprovalService,
    DecisionService,
    InboxService,
    ContentApprovalResolver,
    ApprovalResolver,
    EscalationPoller,
    { provide: ESCALATION_OPTIONS, useValue: { intervalMs: config.APPROVAL_SLA_POLL_MS } },
  ],
})
export class AppModule {}
