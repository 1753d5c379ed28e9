// The publisher's publication events, built in one place from its rows.
import { durationFromMs, timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  AttemptOutcome as PbAttemptOutcome,
  Platform as PbPlatform,
  PublicationFailedSchema,
  PublicationPublishedSchema,
  PublishAttemptedSchema,
} from '@prasar/contracts';
import type { EventPublisher } from '@prasar/kafka';
import type { EntityManager } from 'typeorm';
import type { AttemptOutcome, PublishAttempt, PublishJob } from './publish-job.entity';

function base(job: PublishJob) {
  return {
    contentId: job.contentId,
    departmentId: job.departmentId,
    publicationId: job.publicationId,
    accountId: job.accountId,
    platform: PbPlatform[job.platform],
  };
}

/** Emits what happened to a publication, in the caller's transaction (outbox). */
export class PublishEvents {
  constructor(private readonly events: EventPublisher) {}

  attempted(em: EntityManager, job: PublishJob, attempt: PublishAttempt, outcome: AttemptOutcome) {
    const finished = attempt.finishedAt ?? new Date();
    return this.events.publish(em, {
      schema: PublishAttemptedSchema,
      message: {
        ...base(job),
        attempt: attempt.attempt,
        outcome: PbAttemptOutcome[outcome],
        httpStatus: attempt.httpStatus ?? 0,
        error: attempt.error ?? '',
        startedAt: timestampFromDate(attempt.startedAt),
        duration: durationFromMs(Math.max(0, finished.getTime() - attempt.startedAt.getTime())),
        retryAfter: attempt.retryAfterMs ? durationFromMs(Number(attempt.retryAfterMs)) : undefined,
      },
    });
  }

  published(em: EntityManager, job: PublishJob) {
    return this.events.publish(em, {
      schema: PublicationPublishedSchema,
      message: {
        ...base(job),
        contentVersion: job.contentVersion,
        attempt: job.attempts,
        externalId: job.externalId ?? '',
        url: job.url ?? '',
        publishedAt: timestampFromDate(job.publishedAt ?? new Date()),
        reconciled: job.reconciled,
        recipients: job.recipients ?? 0,
      },
    });
  }

  failed(em: EntityManager, job: PublishJob, reason: string) {
    return this.events.publish(em, {
      schema: PublicationFailedSchema,
      message: {
        ...base(job),
        contentVersion: job.contentVersion,
        attempt: job.attempts,
        reason,
        permanent: true,
      },
    });
  }
}
