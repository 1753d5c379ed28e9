import { isCalendarDate, kolkataDate, kolkataDayStart, kolkataDaysIn } from './time';
import { DEFAULT_PRICES, priceOf } from './pricing';

describe('Asia/Kolkata days', () => {
  it('puts 18:30 UTC on the next Kolkata day', () => {
    expect(kolkataDate(new Date('2026-03-10T18:29:59Z'))).toBe('2026-03-10');
    expect(kolkataDate(new Date('2026-03-10T18:30:00Z'))).toBe('2026-03-11');
    expect(kolkataDayStart('2026-03-11').toISOString()).toBe('2026-03-10T18:30:00.000Z');
  });

  it('lists the Kolkata days a period overlaps, end exclusive', () => {
    expect(kolkataDaysIn(new Date('2026-03-09T18:30:00Z'), new Date('2026-03-12T18:30:00Z'))).toEqual([
      '2026-03-10',
      '2026-03-11',
      '2026-03-12',
    ]);
    expect(kolkataDaysIn(new Date('2026-03-10T00:00:00Z'), new Date('2026-03-10T00:00:01Z'))).toEqual([
      '2026-03-10',
    ]);
    expect(kolkataDaysIn(new Date('2026-03-10T00:00:00Z'), new Date('2026-03-10T00:00:00Z'))).toEqual([]);
    expect(kolkataDaysIn(new Date('2026-02-27T18:30:00Z'), new Date('2026-03-01T18:30:00Z'))).toEqual([
      '2026-02-28',
      '2026-03-01',
    ]);
  });

  it('accepts real calendar dates only', () => {
    expect(isCalendarDate('2026-03-10')).toBe(true);
    expect(isCalendarDate('2026-02-30')).toBe(false);
    expect(isCalendarDate('10-03-2026')).toBe(false);
  });
});

describe('the cost ledger’s prices', () => {
  it('bills X per post, more with a link, and other platforms by their own price', () => {
    expect(priceOf(DEFAULT_PRICES, 'X', false)).toBe(DEFAULT_PRICES.xPost);
    expect(priceOf(DEFAULT_PRICES, 'X', true)).toBe(DEFAULT_PRICES.xLinkPost);
    expect(DEFAULT_PRICES.xLinkPost).toBeGreaterThan(DEFAULT_PRICES.xPost);
    expect(priceOf({ ...DEFAULT_PRICES, facebookPost: 2 }, 'FACEBOOK', true)).toBe(2);
  });
});
