// Posts that carry media, against the platform simulator (its own process), real Kafka and
// PostgreSQL. The simulator serves the media (GET /media/<name>) and its ledger records what each
// post really carries: the bytes' digests, the URLs, the alt text. Exactly once still holds.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SocialAccount } from '../accounts/account.entity';
import {
  requestMessage,
  startPublisher,
  unique,
  type PublisherHarness,
  type Request,
  outcomesOf as outcomesOfJob,
  settle as settleJob,
  simFacebookPage,
  simInstagramUser,
  simXAccount,
} from '../__fixtures__/harness';

const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('publishing media', () => {
  let h: PublisherHarness;
  const department = unique('jansampark');
  const outcomesOf = (publicationId: string) => outcomesOfJob(h, publicationId);

  /**
   * Two loopback servers of the spec's own: `inside` stands for a service inside the network (not on
   * the allow-list) and counts what reaches it; `cdn` is on the allow-list and answers every path
   * with a redirect to the URL in its `to` parameter.
   */
  let inside: Server;
  let cdn: Server;
  let insideHits = 0;
  const portOf = (server: Server) => (server.address() as AddressInfo).port;
  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return server;
  };

  beforeAll(async () => {
    inside = await listen(
      createServer((_req, res) => {
        insideHits++;
        res.writeHead(200, { 'content-type': 'image/jpeg' }).end(Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
      }),
    );
    cdn = await listen(
      createServer((req, res) => {
        const to = new URL(req.url ?? '/', 'http://cdn').searchParams.get('to') ?? '';
        res.writeHead(302, { location: to }).end();
      }),
    );
    h = await startPublisher('media', {
      env: {
        PUBLISHER_MEDIA_TIMEOUT_MS: '1000',
        // Below X's 512 MB for video: the publisher's own memory bound.
        PUBLISHER_MEDIA_MAX_BYTES: String(16 * 1024 * 1024),
        PUBLISHER_MEDIA_ALLOWED_HOSTS: `127.0.0.1:${portOf(cdn)}`,
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    for (const server of [inside, cdn]) server?.close();
  });

  /** Fresh names per test: the simulator's files depend on the name only. */
  const names = (ext: string, n: number) =>
    Array.from({ length: n }, (_, i) => `${randomUUID().slice(0, 8)}-${i}.${ext}`);
  const served = (list: string[], mimeType = 'image/jpeg') =>
    list.map((name, i) => ({ url: h.sim.mediaUrl(name), mimeType, altText: `चित्र ${i + 1}: ${name}` }));

  type VideoTiming = { videoReadyAfterPolls?: number; videoReadyAfterSeconds?: number };
  const xAccount = (extra: VideoTiming = {}) =>
    simXAccount(h, department, { username: 'MPJansampark', ...extra });
  const page = () => simFacebookPage(h, department, 'Jansampark MP');
  const instagram = (extra: VideoTiming = {}) =>
    simInstagramUser(h, department, { username: 'jansampark', ...extra });

  /** Requests a publication and runs one worker round. */
  async function publishOnce(account: SocialAccount, media: Request['media']) {
    const r = requestMessage({ account });
    await h.request({ account, publicationId: r.publicationId, media });
    await h.worker.runOnce();
    return r.publicationId;
  }

  const settle = (publicationId: string, rounds?: number) => settleJob(h, publicationId, rounds);

  describe('three images', () => {
    it('reach X as one post with three uploaded media, each with its bytes and alt text', async () => {
      const { account, id } = await xAccount();
      const files = names('jpg', 3);
      const media = served(files);
      const publicationId = await publishOnce(account, media);
      const ledger = await h.sim.ledger({ platform: 'x', account: id });
      expect(ledger).toHaveLength(1);
      expect(await h.job(publicationId)).toMatchObject({ state: 'PUBLISHED', externalId: ledger[0].id });
      const bytes = await Promise.all(files.map((f) => h.sim.mediaBytes(f)));
      expect(ledger[0].details.mediaIds).toHaveLength(3);
      expect(ledger[0].details.media).toEqual(
        bytes.map((b, i) =>
          expect.objectContaining({
            category: 'tweet_image',
            contentType: 'image/jpeg',
            size: b.length,
            sha256: digest(b),
            altText: media[i].altText,
          }),
        ),
      );
    });

    it('reach Facebook as one feed post with three attached photos, and no photo posts', async () => {
      const { account, id } = await page();
      const files = names('jpg', 3);
      const media = served(files);
      const publicationId = await publishOnce(account, media);
      const ledger = await h.sim.ledger({ platform: 'facebook', account: id });
      expect(ledger).toHaveLength(1);
      expect(ledger[0].kind).toBe('page_post');
      const job = await h.job(publicationId);
      expect(job).toMatchObject({ state: 'PUBLISHED', externalId: ledger[0].id });
      expect(job.url).toBe(`https://www.facebook.com/${ledger[0].id.replace('_', '/posts/')}`);
      const bytes = await Promise.all(files.map((f) => h.sim.mediaBytes(f)));
      expect(ledger[0].details.attachedMedia).toEqual(
        media.map((m, i) =>
          expect.objectContaining({ url: m.url, sha256: digest(bytes[i]), altText: m.altText }),
        ),
      );
    });

    it('reach Instagram as one carousel of three items, published from the committed container', async () => {
      const { account, id } = await instagram();
      const files = names('jpg', 3);
      const media = served(files);
      const publicationId = await publishOnce(account, media);
      const ledger = await h.sim.ledger({ platform: 'instagram', account: id });
      expect(ledger).toHaveLength(1);
      const job = await h.job(publicationId);
      expect(job).toMatchObject({
        state: 'PUBLISHED',
        externalId: ledger[0].id,
        igContainerId: ledger[0].details.containerId,
      });
      const bytes = await Promise.all(files.map((f) => h.sim.mediaBytes(f)));
      expect(ledger[0].details).toMatchObject({
        mediaType: 'CAROUSEL_ALBUM',
        children: media.map((m, i) => ({ mediaType: 'IMAGE', url: m.url, sha256: digest(bytes[i]) })),
      });
    });
  });

  it('publishes a single image to Instagram with its alt text', async () => {
    const { account, id } = await instagram();
    const files = names('jpg', 1);
    const media = served(files);
    const job = await settle(await publishOnce(account, media));
    const ledger = await h.sim.ledger({ platform: 'instagram', account: id });
    expect(ledger).toHaveLength(1);
    expect(job).toMatchObject({ state: 'PUBLISHED', externalId: ledger[0].id });
    expect(ledger[0].details).toMatchObject({
      mediaType: 'IMAGE',
      media: {
        url: media[0].url,
        altText: media[0].altText,
        sha256: digest(await h.sim.mediaBytes(files[0])),
      },
    });
  });

  it('publishes a video to Instagram as a reel once the container has finished processing', async () => {
    // Processing takes a minute of simulated time, whatever the polls.
    const { account, id } = await instagram({ videoReadyAfterPolls: 1_000, videoReadyAfterSeconds: 60 });
    const [file] = names('mp4', 1);
    const publicationId = await publishOnce(account, served([file], 'video/mp4'));
    const waiting = await h.job(publicationId);
    expect(waiting).toMatchObject({
      state: 'PENDING',
      igContainerId: expect.any(String),
      lastError: expect.stringMatching(/still being processed/),
    });
    expect(await h.sim.ledger({ platform: 'instagram', account: id })).toHaveLength(0);

    await h.sim.advanceClock(60);
    const job = await settle(publicationId);
    const ledger = await h.sim.ledger({ platform: 'instagram', account: id });
    expect(ledger).toHaveLength(1);
    expect(job).toMatchObject({
      state: 'PUBLISHED',
      externalId: ledger[0].id,
      igContainerId: waiting.igContainerId,
    });
    expect(ledger[0].details).toMatchObject({
      containerId: waiting.igContainerId,
      mediaType: 'VIDEO',
      mediaProductType: 'REELS',
      videoUrl: h.sim.mediaUrl(file),
      media: { contentType: 'video/mp4', sha256: digest(await h.sim.mediaBytes(file)) },
    });
    expect(await outcomesOf(publicationId)).toEqual(['UNAVAILABLE', 'PUBLISHED']);
  });

  it('publishes a video to Facebook as a video post, found again by reconciliation', async () => {
    const { account, id } = await page();
    await h.sim.injectFault({
      kind: 'timeoutAfterCommit',
      operation: 'facebook.videos.create',
      account: id,
      count: 1,
    });
    const [file] = names('mp4', 1);
    const publicationId = await publishOnce(account, served([file], 'video/mp4'));
    expect(await outcomesOf(publicationId)).toEqual(['UNCERTAIN']);
    const job = await settle(publicationId);
    const ledger = await h.sim.ledger({ platform: 'facebook', account: id });
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      kind: 'page_video',
      details: { media: { contentType: 'video/mp4', sha256: digest(await h.sim.mediaBytes(file)) } },
    });
    expect(job).toMatchObject({ state: 'PUBLISHED', reconciled: true, externalId: ledger[0].id });
  });

  it('publishes an image and a video to Instagram as one carousel, once the video item is processed', async () => {
    const { account, id } = await instagram({ videoReadyAfterPolls: 3 });
    const [image] = names('jpg', 1);
    const [video] = names('mp4', 1);
    const media = [...served([image]), ...served([video], 'video/mp4')];
    const publicationId = await publishOnce(account, media);
    const ledger = await h.sim.ledger({ platform: 'instagram', account: id });
    expect(ledger).toHaveLength(1);
    expect(await h.job(publicationId)).toMatchObject({ state: 'PUBLISHED', externalId: ledger[0].id });
    expect(ledger[0].details).toMatchObject({
      mediaType: 'CAROUSEL_ALBUM',
      children: [
        { mediaType: 'IMAGE', url: media[0].url, sha256: digest(await h.sim.mediaBytes(image)) },
        { mediaType: 'VIDEO', url: media[1].url, sha256: digest(await h.sim.mediaBytes(video)) },
      ],
    });
  });

  describe('media that cannot be used', () => {
    it('fails an X post whose image is missing, too large or not an image, with the reason, posting nothing', async () => {
      const { account, id } = await xAccount();
      const cases: [Request['media'], RegExp][] = [
        [[{ url: h.sim.mediaUrl(`missing-${randomUUID()}.jpg`) }], /could not be fetched: HTTP 404/],
        [[{ url: h.sim.mediaUrl(names('jpg', 1)[0], { bytes: 6 * 1024 * 1024 }) }], /at most 5\.0 MB/],
        [
          [{ url: h.sim.mediaUrl(names('html', 1)[0]), mimeType: 'image/jpeg' }],
          /is text\/html, not the image/,
        ],
      ];
      for (const [media, reason] of cases) {
        const publicationId = await publishOnce(account, media);
        expect(await h.job(publicationId)).toMatchObject({
          state: 'FAILED',
          attempts: 1,
          lastError: expect.stringMatching(reason),
        });
        expect(await outcomesOf(publicationId)).toEqual(['REFUSED']);
        const [failed] = (await h.outbox('PublicationFailed')).filter(
          (e) => e.message.publicationId === publicationId,
        );
        expect(failed.message).toMatchObject({ permanent: true, reason: expect.stringMatching(reason) });
      }
      expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(0);
    });

    it('retries an X post whose image server fails or is too slow, without reconciling, and posts nothing meanwhile', async () => {
      const { account, id } = await xAccount();
      for (const [url, reason] of [
        [h.sim.mediaUrl(names('jpg', 1)[0], { status: 503 }), /HTTP 503/],
        [h.sim.mediaUrl(names('jpg', 1)[0], { delayMs: 3_000 }), /did not arrive within 1000 ms/],
      ] as const) {
        const publicationId = await publishOnce(account, [{ url }]);
        expect(await h.job(publicationId)).toMatchObject({
          state: 'PENDING',
          reconcileFirst: false,
          lastError: expect.stringMatching(reason),
        });
        expect(await outcomesOf(publicationId)).toEqual(['UNAVAILABLE']);
      }
      expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(0);
    });

    it('fails a Facebook album and an Instagram post whose image the platform cannot fetch, posting nothing', async () => {
      const fb = await page();
      const album = [...served(names('jpg', 1)), { url: h.sim.mediaUrl(`missing-${randomUUID()}.jpg`) }];
      const fbPublication = await publishOnce(fb.account, album);
      expect(await h.job(fbPublication)).toMatchObject({
        state: 'FAILED',
        lastError: expect.stringMatching(/#324/),
      });
      expect(await h.sim.ledger({ platform: 'facebook', account: fb.id })).toHaveLength(0);

      const ig = await instagram();
      const igPublication = await publishOnce(ig.account, [
        { url: h.sim.mediaUrl(`missing-${randomUUID()}.jpg`) },
      ]);
      expect(await h.job(igPublication)).toMatchObject({
        state: 'FAILED',
        lastError: expect.stringMatching(/Media download has failed/),
      });
      expect(await h.sim.ledger({ platform: 'instagram', account: ig.id })).toHaveLength(0);
    });

    it('fails an Instagram post without media, naming the rule, without calling Instagram', async () => {
      const { account, id } = await instagram();
      const publicationId = await publishOnce(account, []);
      expect(await h.job(publicationId)).toMatchObject({
        state: 'FAILED',
        attempts: 0,
        lastError: expect.stringMatching(/INSTAGRAM_MEDIA_REQUIRED/),
      });
      expect(await h.sim.ledger({ platform: 'instagram', account: id })).toHaveLength(0);
    });
  });

  describe('X video and GIF (chunked upload)', () => {
    it('posts a 9 MB video to X in three segments, once X has processed it, with its bytes and alt text', async () => {
      const { account, id } = await xAccount({ videoReadyAfterPolls: 3 });
      const [file] = names('mp4', 1);
      const url = h.sim.mediaUrl(file, { bytes: 9 * 1024 * 1024 });
      const publicationId = await publishOnce(account, [
        { url, mimeType: 'video/mp4', altText: 'स्वास्थ्य शिविर का वीडियो' },
      ]);
      const ledger = await h.sim.ledger({ platform: 'x', account: id });
      expect(ledger).toHaveLength(1);
      expect(await h.job(publicationId)).toMatchObject({ state: 'PUBLISHED', externalId: ledger[0].id });
      const bytes = await h.sim.mediaBytes(file, { bytes: 9 * 1024 * 1024 });
      expect(ledger[0].details.media).toEqual([
        expect.objectContaining({
          mediaKey: expect.stringMatching(/^7_/),
          category: 'tweet_video',
          contentType: 'video/mp4',
          size: bytes.length,
          sha256: digest(bytes),
          altText: 'स्वास्थ्य शिविर का वीडियो',
        }),
      ]);
      expect(await outcomesOf(publicationId)).toEqual(['PUBLISHED']);
    });

    it('posts a GIF to X through the chunked upload', async () => {
      const { account, id } = await xAccount();
      const [file] = names('gif', 1);
      const publicationId = await publishOnce(account, served([file], 'image/gif'));
      const ledger = await h.sim.ledger({ platform: 'x', account: id });
      expect(ledger).toHaveLength(1);
      expect(await h.job(publicationId)).toMatchObject({ state: 'PUBLISHED' });
      expect(ledger[0].details.media).toEqual([
        expect.objectContaining({ category: 'tweet_gif', sha256: digest(await h.sim.mediaBytes(file)) }),
      ]);
    });

    it('retries when X is still processing after the attempt’s checks, checks the same upload again, and posts once it is done (a new upload would start processing over)', async () => {
      // Processing takes a minute of simulated time, whatever the polls.
      const { account, id } = await xAccount({ videoReadyAfterPolls: 1_000, videoReadyAfterSeconds: 60 });
      const [file] = names('mp4', 1);
      const publicationId = await publishOnce(account, served([file], 'video/mp4'));
      expect(await h.job(publicationId)).toMatchObject({
        state: 'PENDING',
        reconcileFirst: false,
        lastError: expect.stringMatching(/still processing the media after 20 status checks/),
      });
      expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(0);
      await h.sim.advanceClock(60);
      const job = await settle(publicationId);
      const ledger = await h.sim.ledger({ platform: 'x', account: id });
      expect(ledger).toHaveLength(1);
      expect(job).toMatchObject({ state: 'PUBLISHED', externalId: ledger[0].id, reconciled: false });
      expect(await outcomesOf(publicationId)).toEqual(['UNAVAILABLE', 'PUBLISHED']);
    });

    it('refuses a video larger than the publisher fetches into memory, posting nothing', async () => {
      const { account, id } = await xAccount();
      const [file] = names('mp4', 1);
      const url = h.sim.mediaUrl(file, { bytes: 20 * 1024 * 1024 });
      const publicationId = await publishOnce(account, [{ url, mimeType: 'video/mp4', altText: 'x' }]);
      expect(await h.job(publicationId)).toMatchObject({ state: 'FAILED' });
      const [attempt] = await h.attempts(publicationId);
      expect(attempt).toMatchObject({ outcome: 'REFUSED', error: expect.stringMatching(/16\.0 MB/) });
      expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(0);
    });

    it('fails the post with X’s reason when X cannot process the video, posting nothing', async () => {
      const { account, id } = await xAccount({ videoReadyAfterPolls: 1 });
      await h.sim.injectFault({
        kind: 'containerError',
        operation: 'x.media.finalize',
        account: id,
        count: 1,
      });
      const publicationId = await publishOnce(account, served(names('mp4', 1), 'video/mp4'));
      expect(await h.job(publicationId)).toMatchObject({
        state: 'FAILED',
        lastError: expect.stringMatching(/X could not process the media .*Unsupported video format/),
      });
      expect(await outcomesOf(publicationId)).toEqual(['REFUSED']);
      expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(0);
    });

    it.each(['x.media.initialize', 'x.media.append', 'x.media.finalize', 'x.media.status'])(
      'uploads the video again after a lost reply to %s (nothing was posted), and posts once',
      async (operation) => {
        const { account, id } = await xAccount({ videoReadyAfterPolls: 1 });
        await h.sim.injectFault({ kind: 'timeoutAfterCommit', operation, account: id, count: 1 });
        const publicationId = await publishOnce(account, served(names('mp4', 1), 'video/mp4'));
        expect(await h.job(publicationId)).toMatchObject({ state: 'PENDING', reconcileFirst: false });
        const job = await settle(publicationId);
        const ledger = await h.sim.ledger({ platform: 'x', account: id });
        expect(ledger).toHaveLength(1);
        expect(job).toMatchObject({ state: 'PUBLISHED', reconciled: false, externalId: ledger[0].id });
        expect(await outcomesOf(publicationId)).toEqual(['UNAVAILABLE', 'PUBLISHED']);
      },
    );

    it('reconciles an X video post whose reply was lost after X made it, and does not post it again', async () => {
      const { account, id } = await xAccount({ videoReadyAfterPolls: 1 });
      await h.sim.injectFault({
        kind: 'timeoutAfterCommit',
        operation: 'x.tweets.create',
        account: id,
        count: 1,
      });
      const publicationId = await publishOnce(account, served(names('mp4', 1), 'video/mp4'));
      expect(await h.job(publicationId)).toMatchObject({ state: 'PENDING', reconcileFirst: true });
      const job = await settle(publicationId);
      const ledger = await h.sim.ledger({ platform: 'x', account: id });
      expect(ledger).toHaveLength(1);
      expect(job).toMatchObject({ state: 'PUBLISHED', reconciled: true, externalId: ledger[0].id });
      expect(await outcomesOf(publicationId)).toEqual(['UNCERTAIN', 'PUBLISHED']);
    });
  });

  describe('media URLs inside the network', () => {
    const redirect = (to: string) => `http://127.0.0.1:${portOf(cdn)}/m.jpg?to=${encodeURIComponent(to)}`;

    it('fails an X post whose media URL names or resolves to loopback, link-local (cloud metadata) or private addresses, connecting to none, posting nothing', async () => {
      const { account, id } = await xAccount();
      const port = portOf(inside);
      const cases: [string, RegExp][] = [
        [`http://127.0.0.1:${port}/a.jpg`, /names a loopback address \(127\.0\.0\.1\)/],
        [`http://localhost:${port}/a.jpg`, /resolves to a loopback address \(localhost is/],
        ['http://169.254.169.254/latest/meta-data/iam/security-credentials/', /names a link-local address/],
        ['http://[::ffff:169.254.169.254]/latest/meta-data/', /names a link-local address/],
        ['http://10.0.0.7/a.jpg', /names a private address/],
        ['http://[fd00::7]/a.jpg', /names a private address/],
        ['http://0.0.0.0/a.jpg', /names an unspecified address/],
        ['ftp://ftp.example.org/a.jpg', /is not an http\(s\) URL/],
        // Allowed host, but the hop it redirects to is not.
        [
          redirect(`http://127.0.0.1:${port}/a.jpg`),
          /redirects to http:\/\/127\.0\.0\.1:\d+\/a\.jpg, which names a loopback address/,
        ],
        [
          redirect('http://169.254.169.254/latest/meta-data/'),
          /redirects to .*, which names a link-local address/,
        ],
      ];
      for (const [url, reason] of cases) {
        const publicationId = await publishOnce(account, [{ url }]);
        expect(await h.job(publicationId)).toMatchObject({
          state: 'FAILED',
          attempts: 1,
          lastError: expect.stringMatching(reason),
        });
        expect(await outcomesOf(publicationId)).toEqual(['REFUSED']);
        const [failed] = (await h.outbox('PublicationFailed')).filter(
          (e) => e.message.publicationId === publicationId,
        );
        expect(failed.message).toMatchObject({ permanent: true, reason: expect.stringMatching(reason) });
      }
      expect(insideHits).toBe(0);
      expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(0);
    });

    it('follows a redirect from an allowed host to another allowed one, and posts the file it leads to', async () => {
      const { account, id } = await xAccount();
      const [file] = names('jpg', 1);
      const publicationId = await publishOnce(account, [
        { url: redirect(h.sim.mediaUrl(file)), mimeType: 'image/jpeg', altText: 'redirected' },
      ]);
      const ledger = await h.sim.ledger({ platform: 'x', account: id });
      expect(ledger).toHaveLength(1);
      expect(await h.job(publicationId)).toMatchObject({ state: 'PUBLISHED', externalId: ledger[0].id });
      expect(ledger[0].details.media).toEqual([
        expect.objectContaining({ sha256: digest(await h.sim.mediaBytes(file)), altText: 'redirected' }),
      ]);
    });
  });

  describe('exactly once with media', () => {
    it('reconciles an X post with images whose reply was lost after X made it, and does not post it again', async () => {
      const { account, id } = await xAccount();
      await h.sim.injectFault({
        kind: 'timeoutAfterCommit',
        operation: 'x.tweets.create',
        account: id,
        count: 1,
      });
      const publicationId = await publishOnce(account, served(names('jpg', 2)));
      expect(await h.job(publicationId)).toMatchObject({ state: 'PENDING', reconcileFirst: true });
      const job = await settle(publicationId);
      const ledger = await h.sim.ledger({ platform: 'x', account: id });
      expect(ledger).toHaveLength(1);
      expect(ledger[0].details.mediaIds).toHaveLength(2);
      expect(job).toMatchObject({ state: 'PUBLISHED', reconciled: true, externalId: ledger[0].id });
      expect(await outcomesOf(publicationId)).toEqual(['UNCERTAIN', 'PUBLISHED']);
    });

    it('uploads again after an upload whose reply was lost (nothing was posted), and posts once', async () => {
      const { account, id } = await xAccount();
      await h.sim.injectFault({
        kind: 'timeoutAfterCommit',
        operation: 'x.media.upload',
        account: id,
        count: 1,
      });
      const publicationId = await publishOnce(account, served(names('jpg', 2)));
      expect(await h.job(publicationId)).toMatchObject({ state: 'PENDING', reconcileFirst: false });
      const job = await settle(publicationId);
      const ledger = await h.sim.ledger({ platform: 'x', account: id });
      expect(ledger).toHaveLength(1);
      expect(job).toMatchObject({ state: 'PUBLISHED', reconciled: false, externalId: ledger[0].id });
      expect(await outcomesOf(publicationId)).toEqual(['UNAVAILABLE', 'PUBLISHED']);
    });

    it('reconciles a Facebook album whose feed post was made but its reply lost', async () => {
      const { account, id } = await page();
      await h.sim.injectFault({
        kind: 'timeoutAfterCommit',
        operation: 'facebook.feed.create',
        account: id,
        count: 1,
      });
      const publicationId = await publishOnce(account, served(names('jpg', 3)));
      expect(await outcomesOf(publicationId)).toEqual(['UNCERTAIN']);
      const job = await settle(publicationId);
      const ledger = await h.sim.ledger({ platform: 'facebook', account: id });
      expect(ledger).toHaveLength(1);
      expect(ledger[0].details.attachedMedia).toHaveLength(3);
      expect(job).toMatchObject({ state: 'PUBLISHED', reconciled: true, externalId: ledger[0].id });
    });

    it('reconciles an Instagram carousel whose publish reply was lost, from the same container', async () => {
      const { account, id } = await instagram();
      await h.sim.injectFault({
        kind: 'timeoutAfterCommit',
        operation: 'instagram.media.publish',
        account: id,
        count: 1,
      });
      const publicationId = await publishOnce(account, served(names('jpg', 2)));
      const { igContainerId } = await h.job(publicationId);
      const job = await settle(publicationId);
      const ledger = await h.sim.ledger({ platform: 'instagram', account: id });
      expect(ledger).toHaveLength(1);
      expect(ledger[0].details).toMatchObject({ containerId: igContainerId, mediaType: 'CAROUSEL_ALBUM' });
      expect(job).toMatchObject({ state: 'PUBLISHED', reconciled: true, externalId: ledger[0].id });
    });
  });
});
