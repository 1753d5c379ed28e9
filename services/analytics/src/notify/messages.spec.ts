import * as msg from './messages';
import { kolkataClock } from './notify-clock';
import { retryDelayMs } from './mailer';

const DEVANAGARI = /[\u0900-\u097F]/;
const LATIN_WORD = /[A-Za-z]{3,}/;

describe('notification texts', () => {
  const due = new Date('2026-11-21T08:30:00Z'); // 14:00 IST
  const all: [string, msg.Message][] = [
    [
      'publication failed',
      msg.publicationFailed({ platform: 'X', contentId: 'c', publicationId: 'p', reason: 'r' }),
    ],
    ['re-login', msg.accountNeedsReauth({ platform: 'INSTAGRAM', handle: '@mp', reason: '' })],
    [
      'SLA near',
      msg.approvalSla({ contentId: 'c', role: 'MINISTER_OFFICE', dueAt: due, stageIndex: 1 }, false),
    ],
    [
      'SLA passed',
      msg.approvalSla({ contentId: 'c', role: 'DEPT_APPROVER', dueAt: due, stageIndex: 0 }, true),
    ],
    ['17:00', msg.achievementMissing({ day: '2026-11-21', departmentId: 'd' }, false)],
    ['18:00', msg.achievementMissing({ day: '2026-11-21', departmentId: 'd' }, true)],
    ['blackout start', msg.blackout({ regions: [], reason: 'r', startsAt: due, endsAt: due }, true)],
    ['blackout end', msg.blackout({ regions: ['Bhopal'], reason: 'r', startsAt: due, endsAt: due }, false)],
  ];

  it.each(all)('%s: Hindi in Devanagari, English in Latin, the mail Hindi first', (_, m) => {
    expect(m.subjectHi).toMatch(DEVANAGARI);
    expect(m.bodyHi).toMatch(DEVANAGARI);
    expect(m.subjectEn).not.toMatch(DEVANAGARI);
    expect(m.bodyEn).not.toMatch(DEVANAGARI);
    expect(m.bodyEn).toMatch(LATIN_WORD);
    const mail = msg.mailOf(m);
    expect(mail.subject).toBe(`${m.subjectHi} / ${m.subjectEn}`);
    expect(mail.body.indexOf(m.bodyHi)).toBeGreaterThanOrEqual(0);
    expect(mail.body.indexOf(m.bodyHi)).toBeLessThan(mail.body.indexOf(m.bodyEn));
  });

  it('gives due times in India Standard Time', () => {
    const m = msg.approvalSla({ contentId: 'c', role: 'DEPT_APPROVER', dueAt: due, stageIndex: 0 }, true);
    expect(m.bodyEn).toMatch(/2:00\s?pm IST/i);
  });

  it('says state-wide for a window without regions', () => {
    const m = msg.blackout({ regions: [], reason: 'r', startsAt: due, endsAt: due }, true);
    expect(m.subjectEn).toBe('Blackout started: state');
    expect(m.subjectHi).toContain('पूरा राज्य');
  });
});

describe('the notification clock and the mail backoff', () => {
  it('reads the Asia/Kolkata day and minute, across midnight', () => {
    expect(kolkataClock(new Date('2026-11-20T11:30:00Z'))).toEqual({ day: '2026-11-20', minute: 17 * 60 });
    expect(kolkataClock(new Date('2026-11-20T18:29:00Z'))).toEqual({
      day: '2026-11-20',
      minute: 23 * 60 + 59,
    });
    expect(kolkataClock(new Date('2026-11-20T18:30:00Z'))).toEqual({ day: '2026-11-21', minute: 0 });
  });

  it('waits 5 s after the first failure, doubling, at most an hour', () => {
    expect([1, 2, 3, 4].map(retryDelayMs)).toEqual([5000, 10_000, 20_000, 40_000]);
    expect(retryDelayMs(30)).toBe(3_600_000);
  });
});
