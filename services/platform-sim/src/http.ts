// Reading requests and writing replies: the few HTTP mechanics every platform module shares.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** What a handler answers; the server writes it (or holds it back, for an injected fault). */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** An uploaded file of a multipart body. */
export interface UploadedFile {
  size: number;
  type: string;
  bytes: Buffer;
}

/** A request with its body parsed, as the platform modules see it. */
export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Query-string parameters overlaid with the body's (JSON, urlencoded or multipart) scalar fields. */
  params: Record<string, string>;
  /** The JSON body as sent, when there was one. */
  json: unknown;
  files: Map<string, UploadedFile>;
}

/** The request body could not be read as its content type says. */
export class BodyError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new BodyError(`The request body is larger than ${maxBytes} bytes`, 413);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) || (value !== null && typeof value === 'object')) return JSON.stringify(value);
  return undefined;
}

/** Reads and parses a request: the query string and a JSON, urlencoded or multipart body. */
export async function readRequest(req: IncomingMessage, maxBytes: number): Promise<SimRequest> {
  const url = new URL(req.url ?? '/', 'http://sim.invalid');
  const params: Record<string, string> = Object.fromEntries(url.searchParams);
  const files = new Map<string, UploadedFile>();
  let json: unknown;
  const raw = await readBody(req, maxBytes);
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  if (raw.length > 0) {
    if (contentType.startsWith('application/json')) {
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new BodyError('The request body is not valid JSON');
      }
      if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
        for (const [key, value] of Object.entries(json)) {
          const text = scalar(value);
          if (text !== undefined) params[key] = text;
        }
      }
    } else if (contentType.startsWith('application/x-www-form-urlencoded')) {
      for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) params[key] = value;
    } else if (contentType.startsWith('multipart/form-data')) {
      let form: FormData;
      try {
        form = await new Response(new Uint8Array(raw), {
          headers: { 'content-type': contentType },
        }).formData();
      } catch {
        throw new BodyError('The multipart body could not be parsed');
      }
      for (const [key, value] of form) {
        if (typeof value === 'string') params[key] = value;
        else
          files.set(key, {
            size: value.size,
            type: value.type,
            bytes: Buffer.from(await value.arrayBuffer()),
          });
      }
    }
  }
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    params,
    json,
    files,
  };
}

/** Writes a reply as JSON. */
export function sendReply(res: ServerResponse, reply: Reply): void {
  const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...reply.headers,
  });
  res.end(payload);
}

/** A JSON reply. */
export function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return { status, body, headers };
}

/** The bearer token of an `Authorization` header (also Meta's `OAuth <token>` form). */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const match = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(headers.authorization ?? '');
  return match?.[1];
}
