// The daily-achievement gauge the IT cell's alert reads, from PublicationPublished events produced
// to Kafka and consumed by intake's own consumer, against the real database.
import { randomUUID } from 'node:crypto';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Platform, PublicationPublishedSchema } from '@prasar/contracts';
import { toContentBody } from '../content/content.resolver';
import {
  contentInput,
  principal,
  startIntake,
  uniqueCode,
  type IntakeHarness,
} from '../testing/intake-harness';
import { DailyAchievementGauge, istMidnight } from './daily-achievement';

describe('the daily achievement gauge', () => {
  let h: IntakeHarness;

  beforeAll(async () => {
    h = await startIntake('daily_achievement', { consume: true });
  });

  afterAll(async () => {
    await h?.close();
  });

  /** A department with one ACHIEVEMENT the publisher reports published at `publishedAt`. */
  async function publishedAt(code: string, at: Date | null): Promise<void> {
    const departmentId = await h.department(code);
    if (!at) return;
    const account = `x-${code}`;
    await h.connectAccount(account, departmentId, 'X');
    const editor = principal('DEPT_EDITOR', code, `editor-${code}`);
    const content = await h.contents.create(
      editor,
      departmentId,
      toContentBody(
        contentInput({ kind: 'ACHIEVEMENT', title: `Achievement of ${code}`, targetAccountIds: [account] }),
      ),
    );
    const event = await h.emit(PublicationPublishedSchema, {
      contentId: content.id,
      departmentId,
      publicationId: randomUUID(),
      accountId: account,
      platform: Platform.X,
      contentVersion: 1,
      attempt: 1,
      externalId: `tweet-${code}`,
      url: `https://x.com/i/web/status/${code}`,
      publishedAt: timestampFromDate(at),
    });
    expect(await h.handled(event)).toBe('handled');
  }

  it('counts an achievement on the day it was published, and lists departments that never published as missing', async () => {
    const now = new Date();
    const late = uniqueCode('late');
    const today = uniqueCode('today');
    const never = uniqueCode('never');
    // Published an hour before today's Asia/Kolkata midnight; the event is only processed now.
    await publishedAt(late, new Date(istMidnight(now).getTime() - 3_600_000));
    await publishedAt(today, now);
    await publishedAt(never, null);
    const rows = await h.app.get(DailyAchievementGauge).today(now);
    expect(rows.filter((r) => [late, today, never].includes(r.code))).toEqual(
      [
        { code: late, met: false },
        { code: today, met: true },
        { code: never, met: false },
      ].sort((a, b) => a.code.localeCompare(b.code)),
    );
  });
});
