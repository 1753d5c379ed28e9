import { KafkaOutboxInbox1764100000000 } from '@prasar/kafka';
import type { ServiceDataSourceOptions } from '@prasar/persistence';
import { AnalyticsAuditEntries1765100000020 } from './migrations/1765100000020-AnalyticsAuditEntries';
import { AnalyticsInitial1764100000020 } from './migrations/1764100000020-AnalyticsInitial';
import { Notifications1764100000030 } from './migrations/1764100000030-Notifications';

/** Analytics' migrations (its read models are written with SQL upserts, so it maps no entities). */
export function analyticsDataSourceOptions(url: string): ServiceDataSourceOptions {
  return {
    service: 'analytics',
    url,
    entities: [],
    migrations: [
      KafkaOutboxInbox1764100000000,
      AnalyticsInitial1764100000020,
      Notifications1764100000030,
      AnalyticsAuditEntries1765100000020,
    ],
  };
}
