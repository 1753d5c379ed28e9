import { holds, isActive } from './blackout.rules';

const window = (regions: string[]) => ({
  regions,
  startsAt: new Date('2026-10-01T00:00:00Z'),
  endsAt: new Date('2026-10-10T00:00:00Z'),
  endedAt: null,
});

describe('Model Code of Conduct rules', () => {
  it.each([
    ['ACHIEVEMENT', 'NORMAL', true],
    ['SCHEME', 'NORMAL', true],
    ['ADVERTISEMENT', 'NORMAL', true],
    ['MINISTER_MESSAGE', 'NORMAL', true],
    ['ORDER', 'NORMAL', false],
    ['SUCCESS_STORY', 'NORMAL', false],
    ['EVENT', 'NORMAL', false],
    ['ACHIEVEMENT', 'URGENT', false],
  ])('a state-wide window holds %s/%s: %s', (kind, priority, held) => {
    expect(holds(window(['STATE']), { kind, priority }, [])).toBe(held);
  });

  it('a district window holds only the departments serving that district', () => {
    const w = window(['bhopal', 'sehore']);
    expect(holds(w, { kind: 'SCHEME', priority: 'NORMAL' }, ['bhopal'])).toBe(true);
    expect(holds(w, { kind: 'SCHEME', priority: 'NORMAL' }, ['indore'])).toBe(false);
    expect(holds(w, { kind: 'SCHEME', priority: 'NORMAL' }, [])).toBe(false);
  });

  it('is active from its start until its end or until it is ended early', () => {
    const w = window(['STATE']);
    expect(isActive(w, new Date('2026-09-30T23:59:59Z'))).toBe(false);
    expect(isActive(w, new Date('2026-10-05T00:00:00Z'))).toBe(true);
    expect(isActive(w, new Date('2026-10-10T00:00:00Z'))).toBe(false);
    expect(
      isActive({ ...w, endedAt: new Date('2026-10-03T00:00:00Z') }, new Date('2026-10-05T00:00:00Z')),
    ).toBe(false);
  });
});
