// Media for tests and the local demo, and how the simulated platforms read a media URL.
//
// `GET /media/<name>.<ext>` serves small generated files whose bytes depend on the name (so a test
// can tell which file a post carries): a real JPEG, PNG or GIF, or an MP4 whose boxes are real but
// whose video is empty. Query parameters make the broken cases: `bytes=N` pads the file to N bytes,
// `status=404` (or any 4xx/5xx) answers that status, `delayMs=N` answers late, `type=` overrides the
// content type. A name starting with `missing` is a 404.
//
// Facebook and Instagram fetch the URLs they are given. The simulator does the same for URLs on a
// loopback host (its own `/media/`, a test's server); any other URL is taken on trust, as before,
// since the simulator has no network to fetch it from.
import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';

/** The largest file `/media/` generates (`bytes=` beyond it is refused). */
export const MAX_GENERATED_BYTES = 64 * 1024 * 1024;
const MAX_DELAY_MS = 120_000;

const TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  mp4: 'video/mp4',
  html: 'text/html; charset=utf-8',
};

/** What `GET /media/...` answers. */
export interface MediaFile {
  status: number;
  contentType: string;
  body: Buffer;
  delayMs: number;
}

const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** A JPEG comment segment (FFFE) per 65,533 bytes of text. */
function jpegComments(text: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < text.length; i += 65_533) {
    const part = text.subarray(i, i + 65_533);
    out.push(Buffer.from([0xff, 0xfe]), u16(part.length + 2), part);
  }
  return out;
}

/** A one-pixel grey baseline JPEG that carries `label` in a comment segment. */
function jpeg(label: string, padTo: number): Buffer {
  const head = Buffer.concat([
    Buffer.from([0xff, 0xd8]), // SOI
    Buffer.from([0xff, 0xe0, 0x00, 0x10]), // APP0 JFIF 1.1, no density
    Buffer.from('JFIF\0', 'latin1'),
    Buffer.from([0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]),
    ...jpegComments(Buffer.from(label, 'utf8')),
  ]);
  const tail = Buffer.concat([
    Buffer.from([0xff, 0xdb, 0x00, 0x43, 0x00]), // DQT: table 0, all ones
    Buffer.alloc(64, 1),
    Buffer.from([0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x01, 0x00, 0x01, 0x01, 0x01, 0x11, 0x00]), // SOF0 1×1 grey
    // DHT: one code of length 1 each: DC category 0, AC end-of-block.
    Buffer.from([0xff, 0xc4, 0x00, 0x14, 0x00, 0x01]),
    Buffer.alloc(15),
    Buffer.from([0x00]),
    Buffer.from([0xff, 0xc4, 0x00, 0x14, 0x10, 0x01]),
    Buffer.alloc(15),
    Buffer.from([0x00]),
    Buffer.from([0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00]), // SOS
    Buffer.from([0x3f]), // DC 0, EOB, padded with ones
    Buffer.from([0xff, 0xd9]), // EOI
  ]);
  const missing = padTo - head.length - tail.length;
  // Each comment segment costs 4 bytes of header: pad with as many as it takes.
  const padding =
    missing > 4 ? jpegComments(Buffer.alloc(missing - 4 * Math.ceil(missing / 65_537), 0x20)) : [];
  return Buffer.concat([head, ...padding, tail]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  return Buffer.concat([u32(data.length), typed, u32(crc32(typed))]);
}

/** A one-pixel PNG in a colour of the label's hash, with the label in a tEXt chunk. */
function png(label: string, padTo: number): Buffer {
  const [r, g, b] = createHash('sha256').update(label).digest();
  const ihdr = Buffer.concat([u32(1), u32(1), Buffer.from([8, 2, 0, 0, 0])]);
  const parts = [
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('tEXt', Buffer.from(`Comment\0${label}`, 'latin1')),
    pngChunk('IDAT', deflateSync(Buffer.from([0, r, g, b]))),
  ];
  const end = pngChunk('IEND', Buffer.alloc(0));
  const size = parts.reduce((n, p) => n + p.length, 0) + end.length;
  // An ancillary, private chunk (lower-case first letter) that decoders skip.
  if (padTo - size > 12) parts.push(pngChunk('prSm', Buffer.alloc(padTo - size - 12)));
  return Buffer.concat([...parts, end]);
}

/** A one-pixel GIF89a with the label in comment extensions. */
function gif(label: string, padTo: number): Buffer {
  const comment = (text: Buffer) => {
    const blocks: Buffer[] = [Buffer.from([0x21, 0xfe])];
    for (let i = 0; i < text.length; i += 255) {
      const part = text.subarray(i, i + 255);
      blocks.push(Buffer.from([part.length]), part);
    }
    blocks.push(Buffer.from([0x00]));
    return Buffer.concat(blocks);
  };
  const head = Buffer.concat([
    Buffer.from('GIF89a', 'latin1'),
    Buffer.from([0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00]),
    Buffer.from([0x2e, 0x7d, 0x32, 0xff, 0xff, 0xff]),
    comment(Buffer.from(label, 'utf8')),
  ]);
  const tail = Buffer.from([
    0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
  ]);
  const missing = padTo - head.length - tail.length;
  const padding =
    missing > 3 ? comment(Buffer.alloc(Math.floor(((missing - 3) * 255) / 256), 0x20)) : Buffer.alloc(0);
  return Buffer.concat([head, padding, tail]);
}

function box(type: string, data: Buffer): Buffer {
  return Buffer.concat([u32(data.length + 8), Buffer.from(type, 'latin1'), data]);
}

/** An MP4 container (ftyp, a free box with the label, an empty mdat): the right magic, no video. */
function mp4(label: string, padTo: number): Buffer {
  const ftyp = box('ftyp', Buffer.from('isom\0\0\x02\0isomiso2avc1mp41', 'latin1'));
  const mdat = box('mdat', Buffer.alloc(0));
  const text = Buffer.from(label, 'utf8');
  const fill = Math.max(0, padTo - ftyp.length - mdat.length - 8 - text.length);
  return Buffer.concat([ftyp, box('free', Buffer.concat([text, Buffer.alloc(fill)])), mdat]);
}

const GENERATORS: Record<string, (label: string, padTo: number) => Buffer> = {
  'image/jpeg': jpeg,
  'image/png': png,
  'image/gif': gif,
  'video/mp4': mp4,
};

/** The bytes `/media/<name>` serves without parameters (tests compare them with what a post carries). */
export function generatedMedia(name: string, padTo = 0): Buffer | null {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';
  const type = TYPES[ext];
  if (!type) return null;
  const generate = GENERATORS[type];
  return generate
    ? generate(`prasar-sim:${name}`, padTo)
    : Buffer.from(`<!doctype html><title>${name}</title><p>Not media.</p>`);
}

/** What `GET /media/<name>?…` answers. */
export function mediaFile(name: string, query: URLSearchParams): MediaFile {
  const delayMs = Math.min(MAX_DELAY_MS, Math.max(0, Number(query.get('delayMs') ?? 0) || 0));
  const text = (status: number, message: string): MediaFile => ({
    status,
    contentType: 'text/plain; charset=utf-8',
    body: Buffer.from(message),
    delayMs,
  });
  const status = Number(query.get('status') ?? 200);
  if (status >= 400 && status <= 599) return text(status, `The simulator answers ${status} for ${name}`);
  if (/^missing/i.test(name)) return text(404, `No media named ${name}`);
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase() ?? '';
  if (!TYPES[ext]) return text(404, `No media named ${name} (use .jpg, .png, .gif, .mp4 or .html)`);
  const bytes = Number(query.get('bytes') ?? 0) || 0;
  if (bytes > MAX_GENERATED_BYTES) return text(400, `bytes may be at most ${MAX_GENERATED_BYTES}`);
  const body = generatedMedia(name, bytes) as Buffer;
  return { status: 200, contentType: query.get('type') ?? TYPES[ext], body, delayMs };
}

/** A SHA-256 of media bytes, hex: what the ledger records and tests compare. */
export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What a platform learnt about a media URL it was given. */
export type MediaRead =
  /** Fetched: the ledger records its digest, size and type. */
  | { kind: 'fetched'; url: string; contentType: string; size: number; sha256: string }
  /** Not on a loopback host: not fetched, taken on trust. */
  | { kind: 'trusted'; url: string }
  /** Could not be used: why. */
  | { kind: 'failed'; url: string; reason: 'unreachable' | 'too-large' | 'not-http'; detail: string };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Reads a media URL as a platform would (loopback hosts only; see above), up to `maxBytes`. */
export async function readMediaUrl(url: string, maxBytes: number, timeoutMs = 10_000): Promise<MediaRead> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: 'failed', url, reason: 'not-http', detail: 'not a URL' };
  }
  if (!/^https?:$/.test(parsed.protocol))
    return { kind: 'failed', url, reason: 'not-http', detail: `${parsed.protocol} is not http(s)` };
  if (!LOOPBACK.has(parsed.hostname)) return { kind: 'trusted', url };
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    return { kind: 'failed', url, reason: 'unreachable', detail: (err as Error).message };
  }
  if (!res.ok) {
    await res.body?.cancel();
    return { kind: 'failed', url, reason: 'unreachable', detail: `HTTP ${res.status}` };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    // Leaving the loop early cancels the body.
    for await (const chunk of res.body ?? []) {
      size += (chunk as Uint8Array).length;
      if (size > maxBytes) break;
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
  } catch (err) {
    return { kind: 'failed', url, reason: 'unreachable', detail: (err as Error).message };
  }
  if (size > maxBytes)
    return { kind: 'failed', url, reason: 'too-large', detail: `larger than ${maxBytes} bytes` };
  const bytes = Buffer.concat(chunks);
  const contentType = (res.headers.get('content-type') ?? 'application/octet-stream').split(';')[0].trim();
  return { kind: 'fetched', url, contentType: contentType.toLowerCase(), size, sha256: sha256(bytes) };
}

/** The ledger's view of a media item. */
export function mediaDetails(read: MediaRead): Record<string, unknown> {
  return read.kind === 'fetched'
    ? { url: read.url, contentType: read.contentType, size: read.size, sha256: read.sha256 }
    : { url: read.url };
}
