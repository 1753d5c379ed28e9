import { normalizeRegion, normalizeRegions, regionsCover, STATE_WIDE_REGION } from './regions';

describe('blackout regions', () => {
  it('compares names whatever their case and spacing', () => {
    expect(normalizeRegion('  Bhopal ')).toBe('bhopal');
    expect(normalizeRegion('NARMADAPURAM  (Hoshangabad)')).toBe('narmadapuram (hoshangabad)');
    expect(regionsCover(['Bhopal'], ['bhopal'])).toBe(true);
    expect(regionsCover(['bhopal'], ['BHOPAL'])).toBe(true);
    expect(regionsCover(['Bhopal', 'Sehore'], ['indore'])).toBe(false);
    expect(regionsCover(['Bhopal'], [])).toBe(false);
  });

  it('reads "state" in any case as the whole state', () => {
    for (const state of ['state', 'STATE', ' State ']) {
      expect(regionsCover([state], [])).toBe(true);
      expect(regionsCover([state], ['indore'])).toBe(true);
    }
    expect(normalizeRegions(['Bhopal', 'State'])).toEqual([STATE_WIDE_REGION]);
  });

  it('normalises a list once: no blanks, no repeats, sorted', () => {
    expect(normalizeRegions(['Sehore', ' bhopal', 'BHOPAL', '  '])).toEqual(['bhopal', 'sehore']);
    expect(normalizeRegions(['भोपाल', 'भोपाल '])).toEqual(['भोपाल']);
  });
});
