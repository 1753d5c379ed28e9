// The content's media as the platforms take it. Facebook and Instagram fetch a media URL themselves;
// X takes the bytes, so its adapter fetches them here first, bounded in size and time. Fetching is
// not posting: whatever goes wrong here, nothing was posted. A URL that answers "no" (4xx), a file
// too large, or something that is not the image or video it claims to be fails the post with that
// reason; a server error or a timeout may pass, so the attempt is retried. A URL whose host is (or
// resolves to) an address inside the network is refused (address-guard.ts).
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import {
  BlockedAddressError,
  classifyAddress,
  isAllowedHost,
  publicOnlyLookup,
  type MediaFetchPolicy,
} from './address-guard';
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

/** Redirects one download follows at most; each hop is checked as the first was. */
export const MAX_MEDIA_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Why a URL may not be fetched under the policy (before connecting), or null when it may. */
function refusalOf(url: URL, policy: MediaFetchPolicy): string | null {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'is not an http(s) URL';
  if (isAllowedHost(url, policy)) return null;
  if (policy.httpsOnly && url.protocol !== 'https:')
    return 'is not an https URL (only https media are fetched)';
  if (url.username || url.password) return 'carries credentials in its address';
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal)) {
    const cls = classifyAddress(literal);
    if (cls !== 'public') return new BlockedAddressError(literal, literal, cls).message;
  }
  return null;
}

/** One GET, connecting only to checked addresses (unless the host is allowed); no redirects followed. */
function get(url: URL, policy: MediaFetchPolicy, signal: AbortSignal): Promise<IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, {
      method: 'GET',
      headers: { accept: 'image/*, video/*', 'user-agent': 'prasar-publisher' },
      signal,
      agent: false,
      ...(isAllowedHost(url, policy) ? {} : { lookup: publicOnlyLookup }),
    });
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
}

/** The error's cause when it is a blocked address, however the socket wrapped it. */
function blockedIn(err: unknown): BlockedAddressError | null {
  for (let e = err as { cause?: unknown } | undefined, i = 0; e && i < 4; e = e.cause as typeof e, i++)
    if (e instanceof BlockedAddressError) return e;
  return null;
}

/**
 * Fetches one media file, at most `maxBytes`, within `timeoutMs`; checks it is what it claims to
 * be. Only http(s) (https only, under that policy), and only public addresses unless the host is
 * allowed: every redirect hop is checked the same way, and the address checked is the one the
 * socket connects to.
 */
export async function fetchMedia(
  media: PublishMedia,
  limits: { maxBytes: number; timeoutMs: number; policy: MediaFetchPolicy },
): Promise<FetchedMedia | CallFailure> {
  let url: URL;
  try {
    url = new URL(media.url);
  } catch {
    return refused(media, 'is not a URL');
  }
  const signal = AbortSignal.timeout(limits.timeoutMs);
  const timedOut = () => unavailable(media, `did not arrive within ${limits.timeoutMs} ms`);
  let res: IncomingMessage | undefined;
  for (let hop = 0; ; hop++) {
    const refusal = refusalOf(url, limits.policy);
    if (refusal) return refused(media, hop === 0 ? refusal : `redirects to ${url.href}, which ${refusal}`);
    try {
      res = await get(url, limits.policy, signal);
    } catch (err) {
      const blocked = blockedIn(err);
      if (blocked)
        return refused(
          media,
          hop === 0 ? blocked.message : `redirects to ${url.href}, which ${blocked.message}`,
        );
      if (signal.aborted) return timedOut();
      const code = (err as { code?: string }).code ?? (err as Error).message;
      return unavailable(media, `could not be fetched (${code})`);
    }
    const location = res.headers.location;
    if (!REDIRECTS.has(res.statusCode ?? 0) || !location) break;
    res.destroy();
    if (hop >= MAX_MEDIA_REDIRECTS) return refused(media, `redirects more than ${MAX_MEDIA_REDIRECTS} times`);
    try {
      url = new URL(location, url);
    } catch {
      return refused(media, `redirects to "${location}", which is not a URL`);
    }
  }
  const status = res.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    res.destroy();
    // 408 and 429 are "not now"; any other 4xx is "not this URL".
    if (status >= 500 || status === 408 || status === 429)
      return unavailable(media, `could not be fetched: HTTP ${status}`, status);
    return refused(media, `could not be fetched: HTTP ${status}`, status);
  }
  const tooLarge = (size: string) =>
    refused(media, `is ${size}; at most ${mb(limits.maxBytes)} can be published here`);
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    res.destroy();
    return tooLarge(mb(declared));
  }
  const contentType = (res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const family = mediaKindOf(media) === 'video' ? 'video/' : 'image/';
  if (!contentType.startsWith(family)) {
    res.destroy();
    return refused(
      media,
      `is ${contentType || 'of no stated type'}, not the ${family.slice(0, -1)} its content declares (${media.mimeType})`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res) {
      size += (chunk as Buffer).length;
      if (size > limits.maxBytes) break;
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (signal.aborted) return timedOut();
    return unavailable(media, `broke off while downloading (${(err as Error).message})`);
  } finally {
    res.destroy();
  }
  if (size > limits.maxBytes) return tooLarge(`larger than ${mb(limits.maxBytes)}`);
  if (!res.complete) return signal.aborted ? timedOut() : unavailable(media, 'broke off while downloading');
  if (size === 0) return refused(media, 'is empty');
  return { media, bytes: Buffer.concat(chunks), contentType };
}
