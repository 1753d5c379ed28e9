// The adapters' HTTP: every request has a deadline, and every failure says whether the request
// could have reached the platform, which decides between retrying and reconciling.
import type { CallFailure } from './platform';

/** A platform's answer. */
export interface HttpReply {
  status: number;
  headers: Headers;
  /** The JSON body, or the text when it is not JSON, or undefined when empty. */
  body: unknown;
}

/**
 * The request got no answer. `sent: false` means it never reached the platform (refused
 * connection, unknown host): safe to send again. `sent: true` means it may have been handled.
 */
export class NoReply extends Error {
  constructor(
    message: string,
    readonly sent: boolean,
  ) {
    super(message);
    this.name = 'NoReply';
  }
}

// Connection errors that happen before a byte of the request is written.
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export interface RequestOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A JSON body (objects), a form body (URLSearchParams) or a multipart one (FormData). */
  body?: Record<string, unknown> | URLSearchParams | FormData;
  timeoutMs: number;
}

function codeOf(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code ?? (err as { code?: string } | undefined)?.code;
}

/** Sends one request with a deadline; throws NoReply when no answer came. */
export async function request(url: string, options: RequestOptions): Promise<HttpReply> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  let body: string | FormData | undefined;
  if (options.body instanceof FormData) {
    // fetch writes the multipart content type with its boundary.
    body = options.body;
  } else if (options.body instanceof URLSearchParams) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = options.body.toString();
  } else if (options.body) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  try {
    const res = await fetch(url, {
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, headers: res.headers, body: parsed };
  } catch (err) {
    if ((err as Error | undefined)?.name === 'TimeoutError')
      throw new NoReply(`no answer within ${options.timeoutMs} ms`, true);
    const code = codeOf(err);
    if (code && NOT_SENT.has(code)) throw new NoReply(`could not connect (${code})`, false);
    throw new NoReply(`the connection failed mid-request (${code ?? (err as Error).message})`, true);
  }
}

/** How long the platform asked us to wait, from `retry-after`, X's reset header or Meta's usage header. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | null {
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = headers.get('x-rate-limit-reset');
  if (reset && headers.get('x-rate-limit-remaining') === '0') {
    const at = Number(reset) * 1000;
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  const usage = headers.get('x-business-use-case-usage');
  if (usage) {
    try {
      const parsed = JSON.parse(usage) as Record<string, { estimated_time_to_regain_access?: number }[]>;
      const minutes = Object.values(parsed)
        .flat()
        .map((u) => u.estimated_time_to_regain_access ?? 0);
      const longest = Math.max(0, ...minutes);
      if (longest > 0) return longest * 60_000;
    } catch {
      // not JSON: no hint
    }
  }
  return null;
}

/**
 * A short, single-line reason for logs, events and the API: the error message fields a platform
 * answers with (`message`, `detail`, `title`, `error_description`, `errors[].message`), never its
 * raw answer, which for an unexpected address could be anything that address holds.
 */
export function reasonOf(body: unknown, fallback: string): string {
  const found: string[] = [];
  const visit = (value: unknown, depth: number) => {
    if (depth > 2 || typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) return value.slice(0, 3).forEach((v) => visit(v, depth + 1));
    const record = value as Record<string, unknown>;
    for (const key of ['message', 'detail', 'title', 'error_description', 'error']) {
      if (typeof record[key] === 'string' && record[key]) found.push(record[key] as string);
    }
    visit(record.error, depth + 1);
    visit(record.errors, depth + 1);
  };
  visit(body, 0);
  return ([...new Set(found)].join('; ') || fallback).replace(/\s+/g, ' ').slice(0, 300);
}

/** A request whose lack of an answer is already a CallFailure: uncertain if it may have arrived. */
export async function send(
  url: string,
  options: Omit<RequestOptions, 'timeoutMs'>,
  timeoutMs: number,
): Promise<HttpReply | CallFailure> {
  try {
    return await request(url, { ...options, timeoutMs });
  } catch (err) {
    if (!(err instanceof NoReply)) throw err;
    return err.sent
      ? { kind: 'uncertain', httpStatus: 0, error: err.message }
      : { kind: 'unavailable', httpStatus: 0, error: err.message };
  }
}

export function isFailure(value: HttpReply | CallFailure): value is CallFailure {
  return 'kind' in value;
}

/** Joins a base URL and a path without doubling slashes. */
export function urlOf(base: string, path: string, query?: Record<string, string>): string {
  const url = `${base.replace(/\/+$/, '')}${path}`;
  const qs = query ? new URLSearchParams(query).toString() : '';
  return qs ? `${url}?${qs}` : url;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
