import { KafkaOutboxInbox1764100000000 } from '@prasar/kafka';
import { IdempotencyKeys1764900000000, type ServiceDataSourceOptions } from '@prasar/persistence';
import { AccountCredential, SocialAccount } from './accounts/account.entity';
import { WhatsAppWebhookReplay1765000000000 } from './migrations/1765000000000-WhatsAppWebhookReplay';
import { PublisherInitial1764600000001 } from './migrations/1764600000001-PublisherInitial';
import { PublisherCompliancePolicy1765100000001 } from './migrations/1765100000001-PublisherCompliancePolicy';
import { PublisherCompliancePolicyRls1765100000002 } from './migrations/1765100000002-PublisherCompliancePolicyRls';
import { PublishAttempt, PublishJob } from './publishing/publish-job.entity';
import { WhatsAppDelivery, WhatsAppSubscriber } from './whatsapp/whatsapp.entity';

/** The publisher's tables and migrations, shared by the service and its migration command. */
export function publisherDataSourceOptions(url: string): ServiceDataSourceOptions {
  return {
    service: 'publisher',
    url,
    entities: [
      SocialAccount,
      AccountCredential,
      PublishJob,
      PublishAttempt,
      WhatsAppSubscriber,
      WhatsAppDelivery,
    ],
    migrations: [
      KafkaOutboxInbox1764100000000,
      PublisherInitial1764600000001,
      IdempotencyKeys1764900000000,
      WhatsAppWebhookReplay1765000000000,
      PublisherCompliancePolicy1765100000001,
      PublisherCompliancePolicyRls1765100000002,
    ],
  };
}
