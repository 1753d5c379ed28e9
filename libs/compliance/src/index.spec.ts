import * as compliance from './index';

describe('@prasar/compliance public API', () => {
  it('exports the functions and constants services use', () => {
    expect(Object.keys(compliance).sort()).toEqual([
      'CompiledPolicy',
      'DEFAULT_POLICY',
      'PERSON_ROLES',
      'PLATFORM_LIMITS',
      'RULES',
      'STATE_WIDE_REGION',
      'characterCount',
      'checkCompliance',
      'compilePolicy',
      'composeVariantText',
      'measureText',
      'normalizeDomain',
      'normalizeForMatch',
      'normalizeHashtags',
      'normalizePersonName',
      'normalizeRegion',
      'normalizeRegions',
      'regionsCover',
      'weightedLength',
    ]);
  });

  it('every rule id is its own UPPER_SNAKE name', () => {
    for (const [key, value] of Object.entries(compliance.RULES)) {
      expect(value).toBe(key);
      expect(value).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
    }
  });
});
