import { engagementAt } from './engagement';

describe('engagementAt', () => {
  it('is zero at creation, the same for the same post and age, and never decreases with age', () => {
    expect(engagementAt('1880028106020515840', 0)).toMatchObject({
      impressions: 0,
      likes: 0,
      reach: 0,
      clicks: 0,
    });
    expect(engagementAt('1880028106020515840', 5000)).toEqual(engagementAt('1880028106020515840', 5000));
    let previous = engagementAt('104000000000001_17900000000000002', 0);
    for (let age = 600; age <= 72 * 3600; age += 600) {
      const next = engagementAt('104000000000001_17900000000000002', age);
      for (const key of ['impressions', 'reach', 'likes', 'comments', 'shares', 'saves', 'clicks'] as const)
        expect(next[key]).toBeGreaterThanOrEqual(previous[key]);
      previous = next;
    }
  });

  it('rises fast, then levels off (a saturating curve), differently per post', () => {
    const hour = engagementAt('17900000000000042', 3600).impressions;
    const day = engagementAt('17900000000000042', 86_400).impressions;
    const week = engagementAt('17900000000000042', 7 * 86_400).impressions;
    expect(hour).toBeGreaterThan(0);
    expect(day).toBeGreaterThan(hour);
    expect(week - day).toBeLessThan(day - hour);
    expect(engagementAt('17900000000000043', 86_400).impressions).not.toBe(day);
  });
});
