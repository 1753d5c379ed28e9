import { BatchLoader, requestLoader } from './loader';

describe('BatchLoader', () => {
  it('fetches the keys asked for in one turn with one call, and each key once per request', async () => {
    const calls: string[][] = [];
    const loader = new BatchLoader<string, number>(async (keys) => {
      calls.push([...keys]);
      return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, k.length]));
    });
    const first = await Promise.all(['a', 'bb', 'missing', 'a'].map((k) => loader.load(k)));
    expect(first).toEqual([1, 2, undefined, 1]);
    expect(calls).toEqual([['a', 'bb', 'missing']]);
    expect(await loader.load('bb')).toBe(2);
    expect(await loader.load('ccc')).toBe(3);
    expect(calls).toEqual([['a', 'bb', 'missing'], ['ccc']]);
  });

  it('rejects every load of a failed fetch and asks again later', async () => {
    let fail = true;
    const loader = new BatchLoader<string, string>(async (keys) => {
      if (fail) throw new Error('database unavailable');
      return new Map(keys.map((k) => [k, k.toUpperCase()]));
    });
    await expect(Promise.all([loader.load('x'), loader.load('y')])).rejects.toThrow('database unavailable');
    fail = false;
    expect(await loader.load('x')).toBe('X');
  });

  it('keeps one loader per request context and name', () => {
    const fetch = async () => new Map<string, string>();
    const request = {};
    expect(requestLoader(request, 'a', fetch)).toBe(requestLoader(request, 'a', fetch));
    expect(requestLoader(request, 'a', fetch)).not.toBe(requestLoader(request, 'b', fetch));
    expect(requestLoader({}, 'a', fetch)).not.toBe(requestLoader(request, 'a', fetch));
  });
});
