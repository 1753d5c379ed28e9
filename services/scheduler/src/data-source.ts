import { KafkaOutboxInbox1764100000000 } from '@prasar/kafka';
import { IdempotencyKeys1764900000000, type ServiceDataSourceOptions } from '@prasar/persistence';
import { BlackoutWindow, DepartmentRegion } from './blackout/blackout.entity';
import { SchedulerInitial1764100000010 } from './migrations/1764100000010-SchedulerInitial';
import { Account, ApprovedContent, Publication } from './publication/publication.entity';

/** Scheduler's tables and migrations, shared by the service and its migration command. */
export function schedulerDataSourceOptions(url: string): ServiceDataSourceOptions {
  return {
    service: 'scheduler',
    url,
    entities: [Publication, ApprovedContent, Account, BlackoutWindow, DepartmentRegion],
    migrations: [KafkaOutboxInbox1764100000000, SchedulerInitial1764100000010, IdempotencyKeys1764900000000],
  };
}
