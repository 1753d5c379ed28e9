import { join } from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import { verifierOptionsFrom } from '@prasar/auth';
import { TOPICS } from '@prasar/contracts';
import { EventingModule, type ConsumerOptions } from '@prasar/kafka';
import { PersistenceModule } from '@prasar/persistence';
import { subgraphModule } from '@prasar/graphql';
import { DepartmentAccountsResolver, SocialAccountResolver } from './accounts/accounts.resolver';
import { CredentialResealer, RESEALER_OPTIONS } from './accounts/credential-resealer';
import { AccountsService, API_HOST_POLICY } from './accounts/accounts.service';
import { apiHostPolicy } from './platforms/api-hosts';
import { CredentialCipher } from './accounts/credentials';
import { publisherDataSourceOptions } from './data-source';
import { ENGAGEMENT_OPTIONS, EngagementPoller } from './engagement/engagement-poller';
import { PlatformAdapters } from './platforms/adapters';
import {
  CompliancePolicies,
  COMPLIANCE_POLICY_CONSUMER,
  CompliancePolicyConsumer,
  POLICY_CONSUMER_OPTIONS,
} from './publishing/compliance-policy';
import { PublishJobs, PUBLISH_JOB_OPTIONS, type ClaimedJob } from './publishing/publish-jobs.service';
import { PublishRequestsHandler } from './publishing/publish-requests.handler';
import { PUBLISH_WORKER_OPTIONS, PublishWorker } from './publishing/publish-worker';
import type { PublisherConfig } from './settings';
import { SubscribersResolver } from './whatsapp/subscribers.resolver';
import { SubscribersService } from './whatsapp/subscribers.service';
import { WEBHOOK_OPTIONS, WhatsAppWebhookController } from './whatsapp/webhook.controller';

/** What the publisher consumes: the scheduler's PublishRequested and PublicationCancelled. */
export const PUBLISHER_CONSUMER: ConsumerOptions = {
  groupId: 'prasar-publisher',
  topics: [TOPICS.schedule],
  transactionBatchSize: 100,
};

export interface PublisherModuleOptions {
  config: PublisherConfig;
  /** Consumer group and topics (tests use their own). */
  consume?: ConsumerOptions;
  /** The consumer of intake's policy events (tests use their own group and topic). */
  policyConsume?: ConsumerOptions;
  /**
   * Start the publish worker, the engagement poller and the policy consumer with the application
   * (default true).
   */
  autoStart?: boolean;
  /** Test hook: runs between a platform call and the recording of its outcome (see PublishWorker). */
  afterCall?: (claimed: ClaimedJob) => Promise<void>;
}

/** The publisher without process-level concerns (telemetry, environment), so tests can build it too. */
@Module({})
export class PublisherModule {
  static forRoot(options: PublisherModuleOptions): DynamicModule {
    const c = options.config;
    const autoStart = options.autoStart ?? true;
    return {
      module: PublisherModule,
      imports: [
        PersistenceModule.forRoot(publisherDataSourceOptions(c.DATABASE_URL)),
        EventingModule.forRoot({
          service: 'publisher',
          brokers: c.KAFKA_BROKERS,
          consume: options.consume ?? PUBLISHER_CONSUMER,
        }),
        subgraphModule({ schemaPath: join(__dirname, 'schema.graphql'), auth: verifierOptionsFrom(c) }),
      ],
      controllers: [PublishRequestsHandler, WhatsAppWebhookController],
      providers: [
        { provide: CredentialCipher, useFactory: () => new CredentialCipher(c.PUBLISHER_CREDENTIALS_KEYS) },
        {
          provide: API_HOST_POLICY,
          useValue: apiHostPolicy(c.PUBLISHER_PLATFORM_API_HOSTS, [
            c.X_API_BASE_URL,
            c.META_GRAPH_BASE_URL,
            c.WHATSAPP_BASE_URL,
          ]),
        },
        {
          provide: PlatformAdapters,
          useFactory: () =>
            new PlatformAdapters(
              {
                timeoutMs: c.PLATFORM_REQUEST_TIMEOUT_MS,
                mediaTimeoutMs: c.PUBLISHER_MEDIA_TIMEOUT_MS,
                mediaMaxBytes: c.PUBLISHER_MEDIA_MAX_BYTES,
                mediaPolicy: {
                  allowed: c.PUBLISHER_MEDIA_ALLOWED_HOSTS,
                  httpsOnly: c.PUBLISHER_MEDIA_HTTPS_ONLY,
                },
                xMediaStatusMaxWaitMs: c.X_MEDIA_STATUS_MAX_WAIT_MS,
                xMediaStatusMaxPolls: c.X_MEDIA_STATUS_MAX_POLLS,
                graphVersion: c.META_GRAPH_VERSION,
                containerPollMs: c.INSTAGRAM_CONTAINER_POLL_MS,
                containerMaxPolls: c.INSTAGRAM_CONTAINER_MAX_POLLS,
                concurrency: c.WHATSAPP_CONCURRENCY,
              },
              {
                X: c.X_API_BASE_URL,
                FACEBOOK: c.META_GRAPH_BASE_URL,
                INSTAGRAM: c.META_GRAPH_BASE_URL,
                WHATSAPP: c.WHATSAPP_BASE_URL,
              },
            ),
        },
        {
          provide: PUBLISH_JOB_OPTIONS,
          useValue: {
            leaseMs: c.PUBLISHER_LEASE_MS,
            maxAttempts: c.PUBLISHER_MAX_ATTEMPTS,
            retryBaseMs: c.PUBLISHER_RETRY_BASE_MS,
            retryMaxMs: c.PUBLISHER_RETRY_MAX_MS,
            engagementIntervalMs: c.ENGAGEMENT_POLL_INTERVAL_MS,
          },
        },
        {
          provide: PUBLISH_WORKER_OPTIONS,
          useValue: {
            intervalMs: c.PUBLISHER_POLL_INTERVAL_MS,
            concurrency: c.PUBLISHER_CONCURRENCY,
            autoStart,
            whatsappBatchSize: c.WHATSAPP_BATCH_SIZE,
            afterCall: options.afterCall,
          },
        },
        {
          provide: ENGAGEMENT_OPTIONS,
          useValue: {
            intervalMs: c.ENGAGEMENT_POLL_INTERVAL_MS,
            windowHours: c.ENGAGEMENT_WINDOW_HOURS,
            autoStart,
          },
        },
        {
          provide: WEBHOOK_OPTIONS,
          useValue: {
            appSecret: c.WHATSAPP_APP_SECRET,
            verifyToken: c.WHATSAPP_VERIFY_TOKEN,
            maxMessageAgeSeconds: c.WHATSAPP_WEBHOOK_MAX_AGE_SECONDS,
          },
        },
        {
          provide: RESEALER_OPTIONS,
          useValue: { intervalMs: c.PUBLISHER_RESEAL_INTERVAL_MS, autoStart },
        },
        CredentialResealer,
        AccountsService,
        CompliancePolicies,
        {
          provide: POLICY_CONSUMER_OPTIONS,
          useValue: { consume: options.policyConsume ?? COMPLIANCE_POLICY_CONSUMER, autoStart },
        },
        CompliancePolicyConsumer,
        SubscribersService,
        PublishJobs,
        PublishWorker,
        EngagementPoller,
        SocialAccountResolver,
        DepartmentAccountsResolver,
        SubscribersResolver,
      ],
    };
  }
}
