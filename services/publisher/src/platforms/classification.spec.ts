// How platform answers are read: what may have posted, what may be retried and when.
import { createServer, type AddressInfo } from 'node:net';
import { graphFailure } from './graph';
import { NoReply, request, retryAfterMs, type HttpReply } from './http';
import { sameText } from './text-match';

const reply = (status: number, body: unknown, headers: Record<string, string> = {}): HttpReply => ({
  status,
  body,
  headers: new Headers(headers),
});

describe('reading platform answers', () => {
  it('takes the wait from retry-after, X rate-limit reset, or Meta usage headers', () => {
    const now = Date.parse('2026-08-15T09:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': '30' }), now)).toBe(30_000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Sat, 15 Aug 2026 09:01:00 GMT' }), now)).toBe(60_000);
    expect(
      retryAfterMs(
        new Headers({ 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(now / 1000 + 90) }),
        now,
      ),
    ).toBe(90_000);
    expect(
      retryAfterMs(new Headers({ 'x-rate-limit-remaining': '5', 'x-rate-limit-reset': '99999999999' }), now),
    ).toBeNull();
    const usage = JSON.stringify({ '123': [{ type: 'pages', estimated_time_to_regain_access: 7 }] });
    expect(retryAfterMs(new Headers({ 'x-business-use-case-usage': usage }), now)).toBe(420_000);
    expect(retryAfterMs(new Headers(), now)).toBeNull();
  });

  it.each([
    [401, { error: { code: 190, message: 'Error validating access token' } }, 'unauthorized'],
    [403, { error: { code: 200, message: 'not authorized' } }, 'unauthorized'],
    [429, { error: { code: 32, message: 'Page request limit reached' } }, 'rate-limited'],
    [400, { error: { code: 80002, message: 'too many calls' } }, 'rate-limited'],
    [400, { error: { code: 131048, message: 'Spam rate limit hit' } }, 'rate-limited'],
    [500, { error: { code: 2, is_transient: true, message: 'unexpected' } }, 'unavailable'],
    [400, { error: { code: 100, message: 'Invalid parameter' } }, 'refused'],
    [400, { error: { code: 368, message: 'deemed abusive' } }, 'refused'],
    [400, { error: { code: 506, message: 'Duplicate status message' } }, 'refused'],
  ])('reads Graph %i %j as %s', (status, body, kind) => {
    expect(graphFailure(reply(status, body))).toMatchObject({ kind, httpStatus: status });
  });

  it('tells a request that never left from one that may have arrived', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(request(`http://127.0.0.1:${port}/never`, { timeoutMs: 1000 })).rejects.toEqual(
      expect.objectContaining({ name: 'NoReply', sent: false }),
    );
    expect(new NoReply('x', true).sent).toBe(true);
  });

  it('matches a post by its text, whatever the platform did to links and spaces', () => {
    const sent = 'गेहूं उपार्जन\n\n#MPKisan\n\nhttps://mpkrishi.mp.gov.in/yojana';
    expect(sameText('गेहूं उपार्जन #MPKisan https://t.co/abc123', sent)).toBe(true);
    expect(sameText('गेहूं उपार्जन #MPKisan', sent)).toBe(false);
    expect(sameText(undefined, sent)).toBe(false);
  });
});
