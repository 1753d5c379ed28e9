// The media fetch's policy without a platform: https only, credentials in URLs, redirect loops.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAllowedHosts } from './address-guard';
import { fetchMedia, MAX_MEDIA_REDIRECTS } from './media';

const image = (url: string) => ({ url, mimeType: 'image/jpeg', altText: 'a' });
const limits = (allowed: string, httpsOnly = false) => ({
  maxBytes: 1024,
  timeoutMs: 2_000,
  policy: { allowed: parseAllowedHosts(allowed), httpsOnly },
});

describe('fetchMedia policy', () => {
  let server: Server;
  let hits = 0;
  let base: string;

  beforeAll(async () => {
    // Every path redirects to itself with one more hop counted.
    server = createServer((req, res) => {
      hits++;
      const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? 0);
      res.writeHead(302, { location: `/loop.jpg?n=${n + 1}` }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('refuses plain http under https-only, unless the host is on the allow-list', async () => {
    const refused = await fetchMedia(image('http://cdn.example.org/a.jpg'), limits('', true));
    expect(refused).toMatchObject({ kind: 'refused', error: expect.stringMatching(/is not an https URL/) });
    hits = 0;
    // Allowed: fetched (and then refused for the redirect loop, which shows it was fetched).
    const allowed = await fetchMedia(image(`${base}/loop.jpg`), limits('127.0.0.1', true));
    expect(allowed).toMatchObject({ kind: 'refused' });
    expect(hits).toBeGreaterThan(0);
  });

  it('refuses a URL carrying credentials, without connecting', async () => {
    const result = await fetchMedia(image('http://user:secret@cdn.example.org/a.jpg'), limits(''));
    expect(result).toMatchObject({ kind: 'refused', error: expect.stringMatching(/carries credentials/) });
  });

  it(`follows at most ${MAX_MEDIA_REDIRECTS} redirects`, async () => {
    hits = 0;
    const result = await fetchMedia(image(`${base}/loop.jpg`), limits('127.0.0.1'));
    expect(result).toMatchObject({
      kind: 'refused',
      error: expect.stringMatching(new RegExp(`redirects more than ${MAX_MEDIA_REDIRECTS} times`)),
    });
    expect(hits).toBe(MAX_MEDIA_REDIRECTS + 1);
  });
});
