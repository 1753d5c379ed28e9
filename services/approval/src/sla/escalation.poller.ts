import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { durationFromMs, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ApprovalEscalatedSchema, Priority } from '@prasar/contracts';
import { EventPublisher } from '@prasar/kafka';
import { asPlatform } from '@prasar/persistence';
import { PeriodicTask } from '@prasar/service';
import { createLogger } from '@prasar/telemetry';
import { slaBreaches } from '../metrics';

export interface EscalationOptions {
  /** How often to look for overdue stages (APPROVAL_SLA_POLL_MS). */
  intervalMs: number;
  /** Stages claimed per transaction. */
  batchSize?: number;
}

export const ESCALATION_OPTIONS = Symbol('ESCALATION_OPTIONS');

interface OverdueStage {
  approval_id: string;
  index: number;
  role: string;
  due_at: Date;
  content_id: string;
  department_id: string;
  content_version: number;
  priority: 'NORMAL' | 'URGENT';
}

/**
 * Escalates current stages past their due time, once each: the ApprovalEscalated event is the
 * notification to the department admin and the IT cell. Stages are claimed with
 * `FOR UPDATE SKIP LOCKED`, so any number of replicas can poll at once without escalating twice.
 */
@Injectable()
export class EscalationPoller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = createLogger('sla-escalation');
  private readonly batchSize: number;
  private readonly loop: PeriodicTask;

  constructor(
    private readonly ds: DataSource,
    private readonly events: EventPublisher,
    @Inject(ESCALATION_OPTIONS) private readonly options: EscalationOptions,
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.loop = new PeriodicTask('escalation', options.intervalMs, () => this.escalateOverdue(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  // Before the data source closes (its own hook runs at shutdown proper).
  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    this.loop.start();
  }

  /** Stops polling and waits for a round in progress to finish. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Escalates every current stage due before `now` that was not escalated yet; returns how many. */
  async escalateOverdue(now = new Date()): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = await asPlatform(this.ds, async (em) => {
        const overdue = (await em.query(
          `SELECT s.approval_id, s.index, s.role, s.due_at,
                  a.content_id, a.department_id, a.content_version, a.priority
           FROM approval_stages s
           JOIN approvals a ON a.id = s.approval_id AND a.current_stage = s.index
           WHERE a.state = 'PENDING' AND s.state = 'PENDING'
             AND s.escalated_at IS NULL AND s.due_at <= $1
           ORDER BY s.due_at
           LIMIT $2
           FOR UPDATE OF s SKIP LOCKED`,
          [now, this.batchSize],
        )) as OverdueStage[];
        for (const stage of overdue) {
          await em.query(
            `UPDATE approval_stages SET escalated_at = $1 WHERE approval_id = $2 AND index = $3`,
            [now, stage.approval_id, stage.index],
          );
          await this.events.publish(em, {
            schema: ApprovalEscalatedSchema,
            message: {
              contentId: stage.content_id,
              departmentId: stage.department_id,
              approvalId: stage.approval_id,
              contentVersion: stage.content_version,
              stageIndex: stage.index,
              role: stage.role,
              dueAt: timestampFromDate(stage.due_at),
              overdueBy: durationFromMs(Math.max(0, now.getTime() - stage.due_at.getTime())),
              priority: Priority[stage.priority],
            },
          });
        }
        return overdue;
      });
      for (const stage of claimed) slaBreaches.add(1, { role: stage.role, priority: stage.priority });
      total += claimed.length;
      if (claimed.length > 0) {
        this.logger.info({ escalated: claimed.length }, 'overdue approval stages escalated');
      }
      if (claimed.length < this.batchSize) return total;
    }
  }
}
