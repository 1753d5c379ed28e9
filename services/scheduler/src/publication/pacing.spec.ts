import { istDay, nextFreeSlot, nextIstMidnight, pacingConflict, type Pacing } from './pacing';

const t = (iso: string) => new Date(iso);
const pacing: Pacing = { minGapMinutes: 30, dailyCap: 3 };

describe('pacing', () => {
  it('counts days in Asia/Kolkata', () => {
    expect(istDay(t('2026-08-14T18:29:00Z'))).toBe('2026-08-14');
    expect(istDay(t('2026-08-14T18:30:00Z'))).toBe('2026-08-15'); // midnight IST
    expect(nextIstMidnight(t('2026-08-14T10:00:00Z')).toISOString()).toBe('2026-08-14T18:30:00.000Z');
  });

  it('gives the requested time when it is free', () => {
    expect(nextFreeSlot([], pacing, t('2026-08-15T04:00:00Z')).toISOString()).toBe(
      '2026-08-15T04:00:00.000Z',
    );
  });

  it('keeps the minimum gap on either side of existing posts', () => {
    const taken = [t('2026-08-15T04:00:00Z'), t('2026-08-15T04:30:00Z')];
    expect(nextFreeSlot(taken, pacing, t('2026-08-15T04:10:00Z')).toISOString()).toBe(
      '2026-08-15T05:00:00.000Z',
    );
    expect(nextFreeSlot(taken, pacing, t('2026-08-15T03:20:00Z')).toISOString()).toBe(
      '2026-08-15T03:20:00.000Z',
    );
    expect(nextFreeSlot(taken, pacing, t('2026-08-15T03:40:00Z')).toISOString()).toBe(
      '2026-08-15T05:00:00.000Z',
    );
  });

  it('moves to the next Asia/Kolkata day when the daily cap is reached', () => {
    const taken = [t('2026-08-15T03:00:00Z'), t('2026-08-15T05:00:00Z'), t('2026-08-15T07:00:00Z')];
    expect(nextFreeSlot(taken, pacing, t('2026-08-15T09:00:00Z')).toISOString()).toBe(
      '2026-08-15T18:30:00.000Z',
    );
  });

  it('explains a conflict, or says nothing when the time fits', () => {
    const taken = [t('2026-08-15T04:00:00Z')];
    expect(pacingConflict(taken, pacing, t('2026-08-15T04:20:00Z'))).toMatch(/less than 30 minutes/);
    expect(pacingConflict(taken, pacing, t('2026-08-15T04:30:00Z'))).toBeNull();
    const full = [t('2026-08-15T01:00:00Z'), t('2026-08-15T03:00:00Z'), t('2026-08-15T05:00:00Z')];
    expect(pacingConflict(full, pacing, t('2026-08-15T09:00:00Z'))).toMatch(/its 3 posts for 2026-08-15/);
  });
});
