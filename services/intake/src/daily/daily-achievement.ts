import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { asPlatform } from '@prasar/persistence';
import { createGauge, createLogger } from '@prasar/telemetry';

const logger = createLogger('daily-achievement');

/** The Asia/Kolkata day's start, as an instant. */
export function istMidnight(now: Date): Date {
  const offset = 330 * 60_000;
  const day = 86_400_000;
  return new Date(Math.floor((now.getTime() + offset) / day) * day - offset);
}

/**
 * Whether each department has published an ACHIEVEMENT today (Asia/Kolkata): the daily plan the
 * IT cell watches (`prasar_daily_achievement_published{department}`, 1 or 0; the alert fires for 0
 * after 18:00). Read at scrape time, at most every 30 s.
 */
@Injectable()
export class DailyAchievementGauge implements OnApplicationBootstrap {
  private cached?: { at: number; rows: { code: string; met: boolean }[] };
  private static registered = false;

  constructor(private readonly ds: DataSource) {}

  onApplicationBootstrap(): void {
    if (DailyAchievementGauge.registered) return;
    DailyAchievementGauge.registered = true;
    createGauge<{ department: string }>(
      'prasar_daily_achievement_published',
      '1 when the department has published an ACHIEVEMENT today (Asia/Kolkata), else 0',
      async (result) => {
        try {
          for (const row of await this.today()) result.observe(row.met ? 1 : 0, { department: row.code });
        } catch (err) {
          logger.warn({ err }, 'could not read the daily achievement status');
        }
      },
    );
  }

  /** Each department's status today. */
  async today(now = new Date()): Promise<{ code: string; met: boolean }[]> {
    if (this.cached && now.getTime() - this.cached.at < 30_000) return this.cached.rows;
    // By the platforms' publish time (PublicationPublished.published_at, kept in published_texts),
    // not by when intake processed the event: a late or replayed event counts for its own day.
    // Every department is listed, so one that never published is missing too.
    const from = istMidnight(now);
    const rows: { code: string; met: boolean }[] = await asPlatform(this.ds, (em) =>
      em.query(
        `SELECT d.code,
                EXISTS (SELECT 1 FROM published_texts t JOIN contents c ON c.id = t.content_id
                        WHERE t.department_id = d.id AND c.kind = 'ACHIEVEMENT'
                          AND t.published_at >= $1 AND t.published_at < $2) AS met
         FROM departments d ORDER BY d.code`,
        [from, new Date(from.getTime() + 86_400_000)],
      ),
    );
    this.cached = { at: now.getTime(), rows };
    return rows;
  }
}
