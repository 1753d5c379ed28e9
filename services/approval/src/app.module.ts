import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { verifierOptionsFrom } from '@prasar/auth';
import { TOPICS } from '@prasar/contracts';
import { EventingModule } from '@prasar/kafka';
import { PersistenceModule } from '@prasar/persistence';
import { subgraphModule } from '@prasar/graphql';
import { TelemetryModule } from '@prasar/telemetry';
import { config } from './config';
import { approvalDataSourceOptions } from './data-source';
import { ApprovalResolver, ContentApprovalResolver } from './workflow/approval.resolver';
import { ApprovalService } from './workflow/approval.service';
import { SubmissionHandler } from './workflow/submission.handler';

@Module({
  imports: [
    TelemetryModule.forRoot({ serviceName: 'approval' }),
    PersistenceModule.forRoot(approvalDataSourceOptions(config.DATABASE_URL)),
    EventingModule.forRoot({
      service: 'approval',
      brokers: config.KAFKA_BROKERS,
      consume: { groupId: 'prasar-approval', topics: [TOPICS.content] },
    }),
    subgraphModule({
      schemaPath: join(__dirname, 'schema.graphql'),
      auth: verifierOptionsFrom(config),
    }),
  ],
  controllers: [SubmissionHandler],
  providers: [ApprovalService, ContentApprovalResolver, ApprovalResolver],
})
export class AppModule {}
