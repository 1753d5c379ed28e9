// Media: the test files the simulator serves, and posts that carry media on X (upload, alt text,
// media_ids), Facebook (unpublished photos attached to one feed post, videos) and Instagram
// (carousels, reels that take time to process). The ledger records each media item's bytes.
import { createHash } from 'node:crypto';
import { call, startSim, type RunningSim } from './__fixtures__/harness';
import { generatedMedia } from './media';

const X_USER = '1500000000000000009';
const X_TOKEN = 'x-media';
const PAGE = '104000000000009';
const FB_TOKEN = 'fb-media';
const IG = '17841400000000009';
const IG_TOKEN = 'ig-media';

const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface GraphError {
  error: { message: string; code: number; error_subcode?: number; error_user_msg?: string };
}

describe('media', () => {
  let sim: RunningSim;
  const graph = <T = Record<string, unknown>>(
    method: string,
    path: string,
    form: Record<string, string> | undefined,
    token: string,
  ) => call<T & GraphError>(sim.baseUrl, method, `/v21.0${path}`, { token, form });

  beforeEach(async () => {
    sim = await startSim();
    await sim.control.registerXAccount({ id: X_USER, username: 'mpjansampark', accessToken: X_TOKEN });
    await sim.control.registerFacebookPage({ id: PAGE, name: 'Jansampark MP', accessToken: FB_TOKEN });
    await sim.control.registerInstagramUser({ id: IG, username: 'jansampark', accessToken: IG_TOKEN });
  });
  afterEach(() => sim.close());

  describe('GET /media/<name>', () => {
    it('serves generated JPEG, PNG, GIF and MP4 files whose bytes depend on the name', async () => {
      const get = (name: string, query = '') => fetch(`${sim.baseUrl}/media/${name}${query}`);
      const jpg = await get('wheat.jpg');
      expect(jpg.status).toBe(200);
      expect(jpg.headers.get('content-type')).toBe('image/jpeg');
      const jpgBytes = Buffer.from(await jpg.arrayBuffer());
      expect(jpgBytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      expect(jpgBytes.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
      expect(jpgBytes).toEqual(generatedMedia('wheat.jpg'));
      expect(jpgBytes).not.toEqual(await sim.control.mediaBytes('rice.jpg'));

      const png = Buffer.from(await (await get('chart.png')).arrayBuffer());
      expect(png.subarray(0, 8)).toEqual(Buffer.from('89504e470d0a1a0a', 'hex'));
      const gif = await get('wave.gif');
      expect(gif.headers.get('content-type')).toBe('image/gif');
      expect(
        Buffer.from(await gif.arrayBuffer())
          .subarray(0, 6)
          .toString('latin1'),
      ).toBe('GIF89a');
      const mp4 = await get('camp.mp4');
      expect(mp4.headers.get('content-type')).toBe('video/mp4');
      expect(
        Buffer.from(await mp4.arrayBuffer())
          .subarray(4, 8)
          .toString('latin1'),
      ).toBe('ftyp');
    });

    it('makes the broken cases on request: padded to a size, a status, a wrong type, missing', async () => {
      const big = await sim.control.mediaBytes('big.jpg', { bytes: 6 * 1024 * 1024 });
      expect(big.length).toBeGreaterThan(6 * 1024 * 1024 - 8);
      expect(big.length).toBeLessThanOrEqual(6 * 1024 * 1024);
      expect(big.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
      expect((await fetch(sim.control.mediaUrl('gone.jpg', { status: 404 }))).status).toBe(404);
      expect((await fetch(sim.control.mediaUrl('flaky.jpg', { status: 503 }))).status).toBe(503);
      expect((await fetch(sim.control.mediaUrl('missing-photo.jpg'))).status).toBe(404);
      const typed = await fetch(sim.control.mediaUrl('page.jpg', { type: 'text/html' }));
      expect(typed.headers.get('content-type')).toBe('text/html');
      const html = await fetch(sim.control.mediaUrl('page.html'));
      expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    });
  });

  describe('X', () => {
    async function upload(bytes: Buffer, type = 'image/jpeg', category = 'tweet_image') {
      const form = new FormData();
      form.append('media', new Blob([new Uint8Array(bytes)], { type }), 'file');
      form.append('media_category', category);
      form.append('media_type', type);
      const res = await fetch(`${sim.baseUrl}/2/media/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${X_TOKEN}` },
        body: form,
      });
      return {
        status: res.status,
        body: (await res.json()) as { data: { id: string } } & Record<string, unknown>,
      };
    }
    const metadata = (json: unknown) =>
      call(sim.baseUrl, 'POST', '/2/media/metadata', { token: X_TOKEN, json });

    type Processing = { state: string; check_after_secs?: number; error?: { name: string } };
    type UploadData = { id: string; media_key: string; size?: number; processing_info?: Processing };
    const initialize = (json: Record<string, unknown>) =>
      call<{ data: UploadData }>(sim.baseUrl, 'POST', '/2/media/upload/initialize', { token: X_TOKEN, json });
    async function append(id: string, index: number, bytes: Buffer) {
      const form = new FormData();
      form.append('segment_index', String(index));
      form.append('media', new Blob([new Uint8Array(bytes)]), 'chunk');
      const res = await fetch(`${sim.baseUrl}/2/media/upload/${id}/append`, {
        method: 'POST',
        headers: { authorization: `Bearer ${X_TOKEN}` },
        body: form,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    }
    const finalize = (id: string) =>
      call<{ data: UploadData }>(sim.baseUrl, 'POST', `/2/media/upload/${id}/finalize`, { token: X_TOKEN });
    const status = (id: string) =>
      call<{ data: UploadData }>(sim.baseUrl, 'GET', `/2/media/upload?command=STATUS&media_id=${id}`, {
        token: X_TOKEN,
      });
    /** Uploads a file in segments of `segment` bytes: the media id and FINALIZE's answer. */
    async function chunked(bytes: Buffer, type: string, category: string, segment = 1024) {
      const init = await initialize({
        media_type: type,
        total_bytes: bytes.length,
        media_category: category,
      });
      expect(init.status).toBe(200);
      const { id } = init.body.data;
      for (let i = 0; i * segment < bytes.length; i++)
        expect((await append(id, i, bytes.subarray(i * segment, (i + 1) * segment))).status).toBe(200);
      return { id, finalized: await finalize(id) };
    }

    it('posts three images with alt text: the ledger has each one’s bytes and alt text', async () => {
      const names = ['one.jpg', 'two.jpg', 'three.jpg'];
      const files = await Promise.all(names.map((n) => sim.control.mediaBytes(n)));
      const ids: string[] = [];
      for (const [i, bytes] of files.entries()) {
        const uploaded = await upload(bytes);
        expect(uploaded.status).toBe(200);
        ids.push(uploaded.body.data.id);
        const alt = await metadata({
          id: uploaded.body.data.id,
          metadata: { alt_text: { text: `photo ${i + 1}` } },
        });
        expect(alt.status).toBe(200);
        expect(alt.body).toEqual({
          data: { id: uploaded.body.data.id, associated_metadata: { alt_text: { text: `photo ${i + 1}` } } },
        });
      }
      const created = await call(sim.baseUrl, 'POST', '/2/tweets', {
        token: X_TOKEN,
        json: { text: 'तीन तस्वीरें', media: { media_ids: ids } },
      });
      expect(created.status).toBe(201);
      const [entry] = await sim.control.ledger({ platform: 'x' });
      expect(entry.details).toEqual({
        mediaIds: ids,
        media: ids.map((id, i) => ({
          id,
          mediaKey: `3_${id}`,
          category: 'tweet_image',
          contentType: 'image/jpeg',
          size: files[i].length,
          sha256: digest(files[i]),
          altText: `photo ${i + 1}`,
        })),
      });
    });

    it('refuses alt text for media that is not the caller’s or too long, and mixed or mistyped media', async () => {
      const image = await upload(await sim.control.mediaBytes('a.jpg'));
      expect((await metadata({ id: '123', metadata: { alt_text: { text: 'x' } } })).status).toBe(400);
      const long = await metadata({
        id: image.body.data.id,
        metadata: { alt_text: { text: 'x'.repeat(1001) } },
      });
      expect(long.status).toBe(400);
      expect(long.body).toMatchObject({ title: 'Invalid Request' });

      const gif = await chunked(await sim.control.mediaBytes('a.gif'), 'image/gif', 'tweet_gif');
      for (let i = 0; i < 2; i++) await status(gif.id); // processed after 2 polls (default)
      const mixed = await call(sim.baseUrl, 'POST', '/2/tweets', {
        token: X_TOKEN,
        json: { text: 'mixed', media: { media_ids: [image.body.data.id, gif.id] } },
      });
      expect(mixed.status).toBe(400);
      expect(JSON.stringify(mixed.body)).toMatch(/not mixed/);
      const mistyped = await upload(await sim.control.mediaBytes('a.mp4'), 'video/mp4', 'tweet_image');
      expect(mistyped.status).toBe(400);
      expect(await sim.control.ledger({ platform: 'x' })).toHaveLength(0);
    });

    describe('chunked upload', () => {
      const tweet = (text: string, ids: string[]) =>
        call<{ data: { id: string } }>(sim.baseUrl, 'POST', '/2/tweets', {
          token: X_TOKEN,
          json: { text, media: { media_ids: ids } },
        });

      it('refuses a video or a GIF on the simple upload, as X does: they go in chunks', async () => {
        const video = await upload(await sim.control.mediaBytes('v.mp4'), 'video/mp4', 'tweet_video');
        expect(video.status).toBe(400);
        expect(JSON.stringify(video.body)).toMatch(/tweet_video media must be uploaded in chunks/);
        const gif = await upload(await sim.control.mediaBytes('g.gif'), 'image/gif', 'tweet_gif');
        expect(gif.status).toBe(400);
        expect(JSON.stringify(gif.body)).toMatch(/tweet_gif media must be uploaded in chunks/);
      });

      it('takes a video in segments, processes it over STATUS polls, and posts it once it has succeeded', async () => {
        await sim.control.registerXAccount({
          id: X_USER,
          username: 'mpjansampark',
          accessToken: X_TOKEN,
          videoReadyAfterPolls: 3,
        });
        const bytes = await sim.control.mediaBytes('camp.mp4', { bytes: 10_000 });
        const { id, finalized } = await chunked(bytes, 'video/mp4', 'tweet_video', 4096);
        expect(finalized.status).toBe(200);
        expect(finalized.body.data).toEqual({
          id,
          media_key: `7_${id}`,
          size: bytes.length,
          expires_after_secs: 86_400,
          processing_info: { state: 'pending', check_after_secs: 5, progress_percent: 0 },
        });
        // Not usable while it is processed.
        const early = await tweet('शिविर का वीडियो', [id]);
        expect(early.status).toBe(400);
        const states: string[] = [];
        for (let i = 0; i < 4; i++) states.push((await status(id)).body.data.processing_info!.state);
        expect(states).toEqual(['pending', 'in_progress', 'in_progress', 'succeeded']);

        expect((await metadata({ id, metadata: { alt_text: { text: 'स्वास्थ्य शिविर' } } })).status).toBe(200);
        const created = await tweet('शिविर का वीडियो', [id]);
        expect(created.status).toBe(201);
        const [entry] = await sim.control.ledger({ platform: 'x' });
        expect(entry.details).toEqual({
          mediaIds: [id],
          media: [
            {
              id,
              mediaKey: `7_${id}`,
              category: 'tweet_video',
              contentType: 'video/mp4',
              size: bytes.length,
              sha256: digest(bytes),
              altText: 'स्वास्थ्य शिविर',
            },
          ],
        });
      });

      it('finishes processing after its simulated time, whatever the polls; the command form works too', async () => {
        await sim.control.registerXAccount({
          id: X_USER,
          username: 'mpjansampark',
          accessToken: X_TOKEN,
          videoReadyAfterPolls: 1_000,
          videoReadyAfterSeconds: 60,
        });
        const bytes = await sim.control.mediaBytes('wave.gif');
        const form = (fields: Record<string, string>) =>
          call<{ data: UploadData }>(sim.baseUrl, 'POST', '/2/media/upload', {
            token: X_TOKEN,
            form: fields,
          });
        const init = await form({
          command: 'INIT',
          media_type: 'image/gif',
          total_bytes: String(bytes.length),
          media_category: 'tweet_gif',
        });
        expect(init.status).toBe(200);
        const { id } = init.body.data;
        expect(init.body.data.media_key).toBe(`16_${id}`);
        const multipart = new FormData();
        for (const [k, v] of Object.entries({ command: 'APPEND', media_id: id, segment_index: '0' }))
          multipart.append(k, v);
        multipart.append('media', new Blob([new Uint8Array(bytes)]), 'chunk');
        const appended = await fetch(`${sim.baseUrl}/2/media/upload`, {
          method: 'POST',
          headers: { authorization: `Bearer ${X_TOKEN}` },
          body: multipart,
        });
        expect(appended.status).toBe(200);
        expect((await form({ command: 'FINALIZE', media_id: id })).body.data.processing_info?.state).toBe(
          'pending',
        );
        expect((await status(id)).body.data.processing_info?.state).toBe('pending');
        expect((await status(id)).body.data.processing_info?.state).toBe('in_progress');
        await sim.control.advanceClock(60);
        expect((await status(id)).body.data.processing_info).toEqual({
          state: 'succeeded',
          progress_percent: 100,
        });
        expect((await tweet('लहर', [id])).status).toBe(201);
      });

      it('refuses segments that do not add up, a foreign upload, and an unknown category or mistyped file', async () => {
        const bytes = await sim.control.mediaBytes('short.mp4', { bytes: 3000 });
        const init = await initialize({
          media_type: 'video/mp4',
          total_bytes: 4000,
          media_category: 'tweet_video',
        });
        const { id } = init.body.data;
        expect((await append(id, 0, bytes)).status).toBe(200);
        const short = await finalize(id);
        expect(short.status).toBe(400);
        expect(JSON.stringify(short.body)).toMatch(/Segments do not add up/);
        expect((await append(id, 1, Buffer.alloc(2000))).status).toBe(400); // past total_bytes
        expect((await append(id, 1000, Buffer.alloc(10))).status).toBe(400); // segment index

        await sim.control.registerXAccount({
          id: '1500000000000000010',
          username: 'other',
          accessToken: 'x-other',
        });
        const foreign = await call(sim.baseUrl, 'POST', `/2/media/upload/${id}/finalize`, {
          token: 'x-other',
        });
        expect(foreign.status).toBe(400);

        expect(
          (await initialize({ media_type: 'video/mp4', total_bytes: 10, media_category: 'tweet_movie' }))
            .status,
        ).toBe(400);
        expect(
          (await initialize({ media_type: 'image/jpeg', total_bytes: 10, media_category: 'tweet_video' }))
            .status,
        ).toBe(400);
        expect(
          (
            await initialize({
              media_type: 'video/mp4',
              total_bytes: 600 * 1024 * 1024,
              media_category: 'tweet_video',
            })
          ).status,
        ).toBe(400);
        expect(await sim.control.ledger({ platform: 'x' })).toHaveLength(0);
      });

      it('ends processing in failed after a containerError fault on FINALIZE; the media cannot be posted', async () => {
        await sim.control.injectFault({ kind: 'containerError', operation: 'x.media.finalize', count: 1 });
        const { id } = await chunked(await sim.control.mediaBytes('bad.mp4'), 'video/mp4', 'tweet_video');
        let info: Processing | undefined;
        for (let i = 0; i < 3; i++) info = (await status(id)).body.data.processing_info;
        expect(info).toMatchObject({ state: 'failed', error: { name: 'InvalidMedia' } });
        expect((await tweet('खराब वीडियो', [id])).status).toBe(400);
        expect(await sim.control.ledger({ platform: 'x' })).toHaveLength(0);
      });
    });
  });

  describe('Facebook', () => {
    it('attaches unpublished photos to one feed post; the ledger has one post with the three photos’ bytes', async () => {
      const names = ['p1.jpg', 'p2.jpg', 'p3.jpg'];
      const photoIds: string[] = [];
      for (const name of names) {
        const photo = await graph<{ id: string }>(
          'POST',
          `/${PAGE}/photos`,
          { url: sim.control.mediaUrl(name), published: 'false', alt_text_custom: `alt ${name}` },
          FB_TOKEN,
        );
        expect(photo.status).toBe(200);
        expect(photo.body).toEqual({ id: expect.stringMatching(/^\d+$/) });
        photoIds.push(photo.body.id);
      }
      // Unpublished photos are not posts.
      expect(await sim.control.ledger({ platform: 'facebook' })).toHaveLength(0);
      const form: Record<string, string> = { message: 'तीन तस्वीरें' };
      photoIds.forEach((id, i) => (form[`attached_media[${i}]`] = JSON.stringify({ media_fbid: id })));
      const post = await graph<{ id: string }>('POST', `/${PAGE}/feed`, form, FB_TOKEN);
      expect(post.status).toBe(200);
      const ledger = await sim.control.ledger({ platform: 'facebook' });
      expect(ledger).toHaveLength(1);
      expect(ledger[0]).toMatchObject({ kind: 'page_post', id: post.body.id, text: 'तीन तस्वीरें' });
      const bytes = await Promise.all(names.map((n) => sim.control.mediaBytes(n)));
      expect(ledger[0].details).toEqual({
        attachedMedia: photoIds.map((photoId, i) => ({
          photoId,
          url: sim.control.mediaUrl(names[i]),
          contentType: 'image/jpeg',
          size: bytes[i].length,
          sha256: digest(bytes[i]),
          altText: `alt ${names[i]}`,
        })),
      });
      // A photo is attached once.
      const again = await graph(
        'POST',
        `/${PAGE}/feed`,
        { message: 'again', 'attached_media[0]': form['attached_media[0]'] },
        FB_TOKEN,
      );
      expect(again.status).toBe(400);
      expect(again.body.error.code).toBe(100);
      const unknown = await graph(
        'POST',
        `/${PAGE}/feed`,
        { 'attached_media[0]': '{"media_fbid":"999"}' },
        FB_TOKEN,
      );
      expect(unknown.body.error.message).toMatch(/attached_media\[0\] has an invalid media_fbid/);
    });

    it('refuses a photo whose URL cannot be fetched or is not an image (#324), creating nothing', async () => {
      for (const url of [
        sim.control.mediaUrl('missing.jpg'),
        sim.control.mediaUrl('x.jpg', { status: 500 }),
        sim.control.mediaUrl('page.html'),
      ]) {
        const photo = await graph('POST', `/${PAGE}/photos`, { url, caption: 'broken' }, FB_TOKEN);
        expect(photo.status).toBe(400);
        expect(photo.body.error.code).toBe(324);
      }
      expect(await sim.control.ledger({ platform: 'facebook' })).toHaveLength(0);
    });

    it('posts a video from its file_url as <page>_<video>, listed with the page’s posts', async () => {
      const url = sim.control.mediaUrl('camp.mp4');
      const video = await graph<{ id: string }>(
        'POST',
        `/${PAGE}/videos`,
        { file_url: url, description: 'शिविर' },
        FB_TOKEN,
      );
      expect(video.status).toBe(200);
      const [entry] = await sim.control.ledger({ platform: 'facebook' });
      const bytes = await sim.control.mediaBytes('camp.mp4');
      expect(entry).toMatchObject({
        kind: 'page_video',
        id: `${PAGE}_${video.body.id}`,
        text: 'शिविर',
        details: { videoId: video.body.id, media: { url, contentType: 'video/mp4', sha256: digest(bytes) } },
      });
      const posts = await graph<{ data: { id: string; message: string }[] }>(
        'GET',
        `/${PAGE}/posts?fields=id,message`,
        undefined,
        FB_TOKEN,
      );
      expect(posts.body.data).toEqual([{ id: entry.id, message: 'शिविर' }]);
    });
  });

  describe('Instagram', () => {
    const create = (form: Record<string, string>) =>
      graph<{ id: string }>('POST', `/${IG}/media`, form, IG_TOKEN);
    const status = async (id: string) =>
      (await graph<{ status_code: string }>('GET', `/${id}?fields=status_code`, undefined, IG_TOKEN)).body
        .status_code;
    const publish = (id: string) =>
      graph<{ id: string }>('POST', `/${IG}/media_publish`, { creation_id: id }, IG_TOKEN);

    it('publishes a carousel of three fetched JPEGs; the ledger has each child’s bytes', async () => {
      const names = ['c1.jpg', 'c2.jpg', 'c3.jpg'];
      const children: string[] = [];
      for (const name of names)
        children.push(
          (await create({ image_url: sim.control.mediaUrl(name), is_carousel_item: 'true' })).body.id,
        );
      const carousel = await create({
        media_type: 'CAROUSEL',
        children: children.join(','),
        caption: 'Album',
      });
      expect(carousel.status).toBe(200);
      expect(await status(carousel.body.id)).toBe('IN_PROGRESS');
      expect(await status(carousel.body.id)).toBe('FINISHED');
      const published = await publish(carousel.body.id);
      expect(published.status).toBe(200);
      const [entry] = await sim.control.ledger({ platform: 'instagram' });
      const bytes = await Promise.all(names.map((n) => sim.control.mediaBytes(n)));
      expect(entry.details).toEqual({
        containerId: carousel.body.id,
        mediaType: 'CAROUSEL_ALBUM',
        mediaProductType: 'FEED',
        children: children.map((containerId, i) => ({
          containerId,
          mediaType: 'IMAGE',
          url: sim.control.mediaUrl(names[i]),
          contentType: 'image/jpeg',
          size: bytes[i].length,
          sha256: digest(bytes[i]),
        })),
      });
    });

    it('publishes a video as a reel once its container has finished processing', async () => {
      await sim.control.registerInstagramUser({
        id: IG,
        username: 'jansampark',
        accessToken: IG_TOKEN,
        videoReadyAfterPolls: 3,
      });
      const url = sim.control.mediaUrl('reel.mp4');
      const reel = await create({ media_type: 'REELS', video_url: url, caption: 'रील' });
      expect(reel.status).toBe(200);
      expect(await status(reel.body.id)).toBe('IN_PROGRESS');
      expect(await status(reel.body.id)).toBe('IN_PROGRESS');
      const early = await publish(reel.body.id);
      expect(early.body.error).toMatchObject({ code: 9007, error_subcode: 2207027 });
      expect(await status(reel.body.id)).toBe('IN_PROGRESS');
      expect(await status(reel.body.id)).toBe('FINISHED');
      const published = await publish(reel.body.id);
      expect(published.status).toBe(200);
      const [entry] = await sim.control.ledger({ platform: 'instagram' });
      expect(entry.details).toMatchObject({
        mediaType: 'VIDEO',
        mediaProductType: 'REELS',
        videoUrl: url,
        media: { url, contentType: 'video/mp4', sha256: digest(await sim.control.mediaBytes('reel.mp4')) },
      });
      const media = await graph<{ media_type: string; media_product_type: string }>(
        'GET',
        `/${published.body.id}?fields=media_type,media_product_type`,
        undefined,
        IG_TOKEN,
      );
      expect(media.body).toMatchObject({ media_type: 'VIDEO', media_product_type: 'REELS' });
    });

    it('processes video by simulated time too, and a carousel waits for its video item', async () => {
      const video = await create({
        media_type: 'VIDEO',
        video_url: sim.control.mediaUrl('v.mp4'),
        is_carousel_item: 'true',
      });
      const image = await create({ image_url: sim.control.mediaUrl('i.jpg'), is_carousel_item: 'true' });
      const carousel = await create({
        media_type: 'CAROUSEL',
        children: `${image.body.id},${video.body.id}`,
        caption: 'mixed',
      });
      await sim.control.advanceClock(30);
      expect(await status(carousel.body.id)).toBe('IN_PROGRESS'); // the video item needs 60 s
      await sim.control.advanceClock(30);
      expect(await status(carousel.body.id)).toBe('FINISHED');
      expect((await publish(carousel.body.id)).status).toBe(200);
    });

    it('refuses media it cannot fetch (9004), of the wrong type (36001, 352) or too large, and VIDEO alone', async () => {
      const missing = await create({ image_url: sim.control.mediaUrl('missing.jpg'), caption: 'x' });
      expect(missing.body.error).toMatchObject({ code: 9004, error_subcode: 2207052 });
      const png = await create({
        image_url: sim.control.mediaUrl('chart.jpg', { type: 'image/png' }),
        caption: 'x',
      });
      expect(png.body.error).toMatchObject({ code: 36001, error_subcode: 2207005 });
      const big = await create({
        image_url: sim.control.mediaUrl('big.jpg', { bytes: 9 * 1024 * 1024 }),
        caption: 'x',
      });
      expect(big.body.error).toMatchObject({ code: 36001, error_subcode: 2207004 });
      const notVideo = await create({
        media_type: 'REELS',
        video_url: sim.control.mediaUrl('a.gif'),
        caption: 'x',
      });
      expect(notVideo.body.error).toMatchObject({ code: 352, error_subcode: 2207026 });
      const alone = await create({
        media_type: 'VIDEO',
        video_url: sim.control.mediaUrl('a.mp4'),
        caption: 'x',
      });
      expect(alone.body.error.message).toMatch(/REELS/);
      expect(await sim.control.ledger({ platform: 'instagram' })).toHaveLength(0);
    });
  });
});
