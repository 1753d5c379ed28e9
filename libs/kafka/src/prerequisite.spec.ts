import { awaitPrerequisite } from './prerequisite';

describe('awaitPrerequisite', () => {
  it('returns what the lookup finds as soon as it finds it', async () => {
    let looks = 0;
    const found = await awaitPrerequisite(async () => (++looks >= 3 ? { id: 'approved' } : null), {
      intervalMs: 1,
    });
    expect(found).toEqual({ id: 'approved' });
    expect(looks).toBe(3);
  });

  it('answers null once the time is up, having looked more than once', async () => {
    let looks = 0;
    const started = Date.now();
    const found = await awaitPrerequisite(
      async () => {
        looks++;
        return undefined;
      },
      { timeoutMs: 120, intervalMs: 10, maxIntervalMs: 20 },
    );
    expect(found).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(looks).toBeGreaterThan(2);
  });

  it('does not wait when the prerequisite is already there', async () => {
    const started = Date.now();
    expect(await awaitPrerequisite(async () => 0)).toBe(0);
    expect(Date.now() - started).toBeLessThan(100);
  });
});
