import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { verifierOptionsFrom } from '@prasar/auth';
import { TOPICS } from '@prasar/contracts';
import { EventingModule } from '@prasar/kafka';
import { PersistenceModule } from '@prasar/persistence';
import { subgraphModule } from '@prasar/graphql';
import { TelemetryModule } from '@prasar/telemetry';
import { BlackoutResolver } from './blackout/blackout.resolver';
import { BlackoutService } from './blackout/blackout.service';
import { config } from './config';
import { schedulerDataSourceOptions } from './data-source';
import { DISPATCH_INTERVAL_MS, Dispatcher } from './publication/dispatcher';
import { SchedulerEventsHandler } from './publication/events.handler';
import { ContentPublicationsResolver, PublicationResolver } from './publication/publication.resolver';
import { PublicationService } from './publication/publication.service';

@Module({
  imports: [
    TelemetryModule.forRoot({ serviceName: 'scheduler' }),
    PersistenceModule.forRoot(schedulerDataSourceOptions(config.DATABASE_URL)),
    EventingModule.forRoot({
      service: 'scheduler',
      brokers: config.KAFKA_BROKERS,
      consume: {
        groupId: 'prasar-scheduler',
        topics: [TOPICS.content, TOPICS.approval, TOPICS.publish],
        transactionBatchSize: 100,
      },
    }),
    subgraphModule({ schemaPath: join(__dirname, 'schema.graphql'), auth: verifierOptionsFrom(config) }),
  ],
  controllers: [SchedulerEventsHandler],
  providers: [
    PublicationService,
    BlackoutService,
    Dispatcher,
    { provide: DISPATCH_INTERVAL_MS, useValue: config.SCHEDULER_DISPATCH_INTERVAL_MS },
    PublicationResolver,
    ContentPublicationsResolver,
    BlackoutResolver,
  ],
})
export class AppModule {}
