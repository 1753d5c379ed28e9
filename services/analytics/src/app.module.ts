import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { TokenVerifier, verifierOptionsFrom } from '@prasar/auth';
import { TOPICS } from '@prasar/contracts';
import { EventingModule } from '@prasar/kafka';
import { PersistenceModule } from '@prasar/persistence';
import { subgraphModule } from '@prasar/graphql';
import { TelemetryModule } from '@prasar/telemetry';
import { config } from './config';
import { analyticsDataSourceOptions } from './data-source';
import { RecordsController, RECORDS_VERIFIER } from './export/records.controller';
import { RecordsService } from './export/records.service';
import { AnalyticsEventsHandler } from './ingest/events.handler';
import { IngestService } from './ingest/ingest.service';
import { Mailer, MAILER_OPTIONS } from './notify/mailer';
import { NotificationsResolver, NotificationContactsResolver } from './notify/notifications.resolver';
import { NotificationsService } from './notify/notifications.service';
import { NOTIFY_CLOCK_OPTIONS, NotifyClock } from './notify/notify-clock';
import { NotifyEvents } from './notify/notify-events';
import { PRICE_LIST, pricesFrom } from './pricing';
import {
  ContentMetricsResolver,
  DepartmentScorecardResolver,
  PublicationMetricsResolver,
  ScorecardResolver,
  StateOverviewResolver,
} from './read/analytics.resolver';
import { AnalyticsService } from './read/analytics.service';

@Module({
  imports: [
    TelemetryModule.forRoot({ serviceName: 'analytics' }),
    PersistenceModule.forRoot(analyticsDataSourceOptions(config.DATABASE_URL)),
    EventingModule.forRoot({
      service: 'analytics',
      brokers: config.KAFKA_BROKERS,
      consume: {
        groupId: 'prasar-analytics',
        topics: [TOPICS.content, TOPICS.approval, TOPICS.schedule, TOPICS.publish, TOPICS.engagement],
        // Read models at engagement volume: up to 1,000 events per transaction, every partition at once.
        transactionBatchSize: 1000,
        partitionsConsumedConcurrently: 6,
        // One span per batch, linked to its events' traces (a span per event cost more than the event).
        spanPerEvent: false,
      },
    }),
    subgraphModule({ schemaPath: join(__dirname, 'schema.graphql'), auth: verifierOptionsFrom(config) }),
  ],
  controllers: [AnalyticsEventsHandler, RecordsController],
  providers: [
    { provide: PRICE_LIST, useValue: pricesFrom(config) },
    { provide: RECORDS_VERIFIER, useValue: new TokenVerifier(verifierOptionsFrom(config)) },
    IngestService,
    AnalyticsService,
    RecordsService,
    DepartmentScorecardResolver,
    ScorecardResolver,
    StateOverviewResolver,
    ContentMetricsResolver,
    PublicationMetricsResolver,
    NotificationsService,
    NotifyEvents,
    NotificationsResolver,
    NotificationContactsResolver,
    {
      provide: MAILER_OPTIONS,
      useValue: { smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, intervalMs: config.MAIL_POLL_MS },
    },
    Mailer,
    { provide: NOTIFY_CLOCK_OPTIONS, useValue: { intervalMs: config.NOTIFY_CLOCK_MS } },
    NotifyClock,
  ],
})
export class AppModule {}
