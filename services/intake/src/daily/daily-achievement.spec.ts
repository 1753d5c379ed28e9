import { istMidnight } from './daily-achievement';

describe('the Asia/Kolkata day', () => {
  it('starts at 18:30 UTC of the previous UTC day', () => {
    expect(istMidnight(new Date('2026-08-15T10:00:00Z')).toISOString()).toBe('2026-08-14T18:30:00.000Z');
    expect(istMidnight(new Date('2026-08-14T18:29:59Z')).toISOString()).toBe('2026-08-13T18:30:00.000Z');
    expect(istMidnight(new Date('2026-08-14T18:30:00Z')).toISOString()).toBe('2026-08-14T18:30:00.000Z');
  });
});
