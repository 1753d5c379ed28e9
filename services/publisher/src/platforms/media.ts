// The content's media as the platforms take it. Facebook and Instagram fetch a media URL themselves;
// X takes the bytes, so its adapter fetches them here first, bounded in size and time. Fetching is
// not posting: whatever goes wrong here, nothing was posted. A URL that answers "no" (4xx), a file
// too large, or something that is not the image or video it claims to be fails the post with that
// reason; a server error or a timeout may pass, so the attempt is retried.
import type { CallFailure, PublishMedia } from './platform';

export type MediaKind = 'image' | 'gif' | 'video';

/** What a media item is, by its declared MIME type. */
export function mediaKindOf(media: Pick<PublishMedia, 'mimeType'>): MediaKind {
  const mime = media.mimeType.trim().toLowerCase().split(';')[0];
  if (mime.startsWith('video/')) return 'video';
  return mime === 'image/gif' ? 'gif' : 'image';
}

export interface FetchedMedia {
  media: PublishMedia;
  bytes: Buffer;
  /** The type the server answered with (without parameters). */
  contentType: string;
}

const mb = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

/** Why a media item cannot be used: nothing was posted and the same media fails again. */
function refused(media: PublishMedia, why: string, httpStatus = 0): CallFailure {
  return { kind: 'refused', httpStatus, error: `The media ${media.url} ${why}` };
}

/** The server could not hand it over now: nothing was posted, and a later attempt may succeed. */
function unavailable(media: PublishMedia, why: string, httpStatus = 0): CallFailure {
  return { kind: 'unavailable', httpStatus, error: `The media ${media.url} ${why}` };
}

/** Fetches one media file, at most `maxBytes`, within `timeoutMs`; checks it is what it claims to be. */
export async function fetchMedia(
  media: PublishMedia,
  limits: { maxBytes: number; timeoutMs: number },
): Promise<FetchedMedia | CallFailure> {
  let url: URL;
  try {
    url = new URL(media.url);
  } catch {
    return refused(media, 'is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refused(media, 'is not an http(s) URL');
  const signal = AbortSignal.timeout(limits.timeoutMs);
  const timedOut = () => unavailable(media, `did not arrive within ${limits.timeoutMs} ms`);
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: 'follow', headers: { accept: 'image/*, video/*' } });
  } catch (err) {
    if (signal.aborted) return timedOut();
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    return unavailable(media, `could not be fetched (${cause})`);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    // 408 and 429 are "not now"; any other 4xx is "not this URL".
    if (res.status >= 500 || res.status === 408 || res.status === 429)
      return unavailable(media, `could not be fetched: HTTP ${res.status}`, res.status);
    return refused(media, `could not be fetched: HTTP ${res.status}`, res.status);
  }
  const tooLarge = (size: string) =>
    refused(media, `is ${size}; at most ${mb(limits.maxBytes)} can be published here`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    return tooLarge(mb(declared));
  }
  const contentType = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  const family = mediaKindOf(media) === 'video' ? 'video/' : 'image/';
  if (!contentType.startsWith(family)) {
    await res.body?.cancel().catch(() => undefined);
    return refused(
      media,
      `is ${contentType || 'of no stated type'}, not the ${family.slice(0, -1)} its content declares (${media.mimeType})`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    // Leaving the loop early cancels the download.
    for await (const chunk of res.body ?? []) {
      size += (chunk as Uint8Array).length;
      if (size > limits.maxBytes) break;
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
  } catch (err) {
    if (signal.aborted) return timedOut();
    return unavailable(media, `broke off while downloading (${(err as Error).message})`);
  }
  if (size > limits.maxBytes) return tooLarge(`larger than ${mb(limits.maxBytes)}`);
  if (size === 0) return refused(media, 'is empty');
  return { media, bytes: Buffer.concat(chunks), contentType };
}
