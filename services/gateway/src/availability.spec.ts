import { SubgraphAvailability } from './availability';
import { withoutRequestData } from './runtime';

describe('SubgraphAvailability', () => {
  it('logs an outage once when it starts and once when it ends, however many calls it refuses', () => {
    const lines: { level: string; attributes: object; message?: string }[] = [];
    const log = {
      warn: (attributes: object, message?: string) => lines.push({ level: 'warn', attributes, message }),
      info: (attributes: object, message?: string) => lines.push({ level: 'info', attributes, message }),
    };
    let now = 1_000;
    const availability = new SubgraphAvailability(log, () => now);
    availability.answered('intake');
    expect(lines).toEqual([]);
    for (let i = 0; i < 500; i++) availability.failed('intake', 'connect ECONNREFUSED');
    availability.failed('approval', 'timeout');
    expect(availability.down()).toEqual(['intake', 'approval']);
    now = 4_000;
    availability.answered('intake');
    availability.answered('intake');
    expect(lines).toEqual([
      {
        level: 'warn',
        attributes: { subgraph: 'intake', reason: 'connect ECONNREFUSED' },
        message: expect.stringMatching(/intake is unavailable/),
      },
      {
        level: 'warn',
        attributes: { subgraph: 'approval', reason: 'timeout' },
        message: expect.stringMatching(/approval is unavailable/),
      },
      {
        level: 'info',
        attributes: { subgraph: 'intake', downForMs: 3_000, refusedCalls: 500 },
        message: expect.stringMatching(/intake is available again/),
      },
    ]);
    expect(availability.down()).toEqual(['approval']);
  });
});

describe('withoutRequestData', () => {
  it('drops request bodies, variables and queries at any depth, keeping the rest', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED'), {
      extensions: {
        code: 'SUBREQUEST_HTTP_ERROR',
        request: { method: 'POST', body: '{"variables":{"accessToken":"s3cret"}}' },
      },
    });
    const cleaned = withoutRequestData({
      error,
      path: ['content'],
      nested: [{ variables: { password: 'p' }, query: 'mutation { x(token: "t") }', kept: 1 }],
    });
    const text = JSON.stringify(cleaned);
    expect(text).not.toMatch(/s3cret|"p"|token: /);
    expect(cleaned).toMatchObject({
      error: { message: 'connect ECONNREFUSED', extensions: { code: 'SUBREQUEST_HTTP_ERROR' } },
      path: ['content'],
      nested: [{ kept: 1 }],
    });
  });
});
