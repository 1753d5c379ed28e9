import { turnaroundSeconds } from './metrics';

describe('approval turnaround', () => {
  const opened = new Date('2026-03-01T10:00:00Z');

  it('is the seconds from opening to the final decision', () => {
    expect(turnaroundSeconds(opened, new Date('2026-03-01T10:02:30Z'))).toBe(150);
    expect(turnaroundSeconds(opened, opened)).toBe(0);
  });

  it('is never negative: a decision time read before the opening committed counts as immediate', () => {
    expect(turnaroundSeconds(opened, new Date(opened.getTime() - 1100))).toBe(0);
  });
});
