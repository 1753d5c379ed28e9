import { retryDelayMs } from './backoff';

const options = { retryBaseMs: 1_000, retryMaxMs: 60_000 };
const middle = () => 0.5;

describe('retry delays', () => {
  it('double with every attempt, up to the cap', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, null, options, middle))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
    expect(retryDelayMs(20, null, options, middle)).toBe(60_000);
  });

  it('spread by at most a fifth either way', () => {
    expect(retryDelayMs(1, null, options, () => 0)).toBe(800);
    expect(retryDelayMs(1, null, options, () => 0.999_999)).toBe(1_200);
  });

  it("never come before the platform's own retry-after, which may exceed the cap", () => {
    expect(retryDelayMs(1, 30_000, options, middle)).toBe(30_000);
    expect(retryDelayMs(1, 3_600_000, options, middle)).toBe(3_600_000);
    expect(retryDelayMs(1, 10 * 86_400_000, options, middle)).toBe(86_400_000);
    expect(retryDelayMs(5, 10, options, middle)).toBe(16_000);
  });
});
