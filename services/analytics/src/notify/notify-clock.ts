import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource, asPlatform } from '@prasar/persistence';
import { PeriodicTask } from '@prasar/service';
import { createLogger } from '@prasar/telemetry';
import * as msg from './messages';
import { IT_CELL, NotificationsService } from './notifications.service';
import { NotifyEvents, SLA_NEAR_FRACTION } from './notify-events';

export interface NotifyClockOptions {
  /** How often the clock looks (NOTIFY_CLOCK_MS). */
  intervalMs: number;
}
export const NOTIFY_CLOCK_OPTIONS = Symbol('NOTIFY_CLOCK_OPTIONS');

/** The Asia/Kolkata day (YYYY-MM-DD) and minute of the day of an instant. */
export function kolkataClock(now: Date): { day: string; minute: number } {
  const ist = new Date(now.getTime() + 330 * 60_000);
  return { day: ist.toISOString().slice(0, 10), minute: ist.getUTCHours() * 60 + ist.getUTCMinutes() };
}

/** The reminder to a department without an achievement, and the IT cell's notice an hour later. */
export const ACHIEVEMENT_REMINDER_MINUTE = 17 * 60;
export const ACHIEVEMENT_ESCALATION_MINUTE = 18 * 60;

/**
 * What time alone makes news of: a department with no achievement by 17:00 IST (reminded) and by
 * 18:00 (the IT cell is told), an approval stage at 80 % of its SLA (its approvers are told), a
 * blackout window whose start time came. Each occasion is a notification key, so rounds repeated,
 * or run by several replicas at once, tell no one twice.
 */
@Injectable()
export class NotifyClock implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = createLogger('notify-clock');
  private readonly loop: PeriodicTask;

  constructor(
    private readonly ds: DataSource,
    private readonly notifications: NotificationsService,
    private readonly events: NotifyEvents,
    @Inject(NOTIFY_CLOCK_OPTIONS) options: NotifyClockOptions,
  ) {
    this.loop = new PeriodicTask('notify-clock', options.intervalMs, () => this.tick(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.loop.start({ immediate: true });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** One look at the clock; returns how many notifications it recorded. */
  async tick(now = new Date()): Promise<number> {
    return (
      (await this.achievements(now)) + (await this.approvalsNearSla(now)) + (await this.blackoutsStarted(now))
    );
  }

  async achievements(now: Date): Promise<number> {
    const { day, minute } = kolkataClock(now);
    if (minute < ACHIEVEMENT_REMINDER_MINUTE) return 0;
    const escalate = minute >= ACHIEVEMENT_ESCALATION_MINUTE;
    return asPlatform(this.ds, async (em) => {
      const missing: { department_id: string }[] = await em.query(
        `SELECT d.department_id FROM departments d
          WHERE NOT EXISTS (SELECT 1 FROM daily_facts f
                             WHERE f.department_id = d.department_id AND f.day = $1::date
                               AND f.kind = 'ACHIEVEMENT' AND f.published > 0)`,
        [day],
      );
      let n = 0;
      for (const { department_id: departmentId } of missing) {
        const about = { day, departmentId };
        if (
          await this.notifications.notify(em, {
            key: `achievement-reminder:${day}`,
            kind: 'ACHIEVEMENT_REMINDER',
            departmentId,
            email: true,
            message: msg.achievementMissing({ day, departmentId }, false),
            about,
          })
        )
          n++;
        if (
          escalate &&
          (await this.notifications.notify(em, {
            key: `achievement-missing:${day}:${departmentId}`,
            kind: 'ACHIEVEMENT_MISSING',
            departmentId: IT_CELL,
            email: true,
            message: msg.achievementMissing({ day, departmentId }, true),
            about,
          }))
        )
          n++;
      }
      return n;
    });
  }

  async approvalsNearSla(now: Date): Promise<number> {
    return asPlatform(this.ds, async (em) => {
      const near: {
        approval_id: string;
        stage_index: number;
        department_id: string;
        content_id: string;
        role: string;
        due_at: Date;
      }[] = await em.query(
        `SELECT approval_id, stage_index, department_id, content_id, role, due_at FROM approval_stage_watch
          WHERE NOT closed AND due_at IS NOT NULL AND opened_at IS NOT NULL AND due_at > $1
            AND opened_at + (due_at - opened_at) * $2 <= $1`,
        [now, SLA_NEAR_FRACTION],
      );
      let n = 0;
      for (const s of near) {
        const itCell = s.role === 'IT_CELL_ADMIN';
        if (
          await this.notifications.notify(em, {
            key: `approval-sla-near:${s.approval_id}:${s.stage_index}`,
            kind: 'APPROVAL_SLA_NEAR',
            departmentId: itCell ? IT_CELL : s.department_id,
            role: itCell || !s.role ? undefined : s.role,
            email: true,
            message: msg.approvalSla(
              { contentId: s.content_id, role: s.role, dueAt: s.due_at, stageIndex: s.stage_index },
              false,
            ),
            about: { contentId: s.content_id, approvalId: s.approval_id, stageIndex: s.stage_index },
          })
        )
          n++;
      }
      return n;
    });
  }

  async blackoutsStarted(now: Date): Promise<number> {
    return asPlatform(this.ds, async (em) => {
      // Windows that hold now and whose start nobody was told of yet (one missed entirely is no news).
      const due: { blackout_id: string }[] = await em.query(
        `SELECT w.blackout_id FROM blackout_windows w
          WHERE w.starts_at <= $1 AND COALESCE(w.ended_at, w.ends_at) > $1
            AND NOT EXISTS (SELECT 1 FROM notifications n
                             WHERE n.event_key = 'blackout-started:' || w.blackout_id AND n.department_id = $2)`,
        [now, IT_CELL],
      );
      for (const w of due) await this.events.blackoutNews(em, w.blackout_id, true);
      return due.length;
    });
  }
}
