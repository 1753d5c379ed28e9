// The records export through the public entry: GET /exports/records is checked like every GraphQL
// request (a valid token, or 401 before anything else runs) and streamed from the analytics
// service, which checks the token again, the caller's role and department, and the period.
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { subgraphs } from './subgraphs';
import type { GatewayConfig } from './config';

/** The public path of the records export. */
export const RECORDS_EXPORT_PATH = '/exports/records';

/** Where the analytics service serves the export: its subgraph URL with /exports/records for /graphql. */
export function recordsExportUrl(config: GatewayConfig): URL {
  const analytics = subgraphs.find((s) => s.name === 'analytics');
  if (!analytics) throw new Error('the analytics subgraph is not configured');
  const base = new URL(config[analytics.urlEnv] || analytics.defaultUrl);
  base.pathname = base.pathname.replace(/\/graphql\/?$/, '') + RECORDS_EXPORT_PATH;
  base.search = '';
  return base;
}

/** Headers passed on to analytics (the token, the trace context); nothing else of the caller's. */
const PASSED = ['authorization', 'traceparent', 'tracestate', 'accept'] as const;
/** Response headers passed back to the caller. */
const RETURNED = ['content-type', 'content-disposition', 'cache-control'] as const;

/**
 * Streams analytics' answer to the caller. A failure to reach analytics is an opaque 502 with the
 * contract's INTERNAL_SERVER_ERROR code (logged with its cause), never a stack trace.
 */
export function proxyRecordsExport(
  target: URL,
  req: IncomingMessage,
  res: ServerResponse,
  onError: (err: unknown) => void,
  timeoutMs: number,
): void {
  const url = new URL(target);
  url.search = new URL(req.url ?? '/', 'http://gateway').search;
  const headers: Record<string, string> = {};
  for (const h of PASSED) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const upstream = send(url, { method: 'GET', headers, timeout: timeoutMs }, (answer) => {
    const out: Record<string, string> = {};
    for (const h of RETURNED) {
      const v = answer.headers[h];
      if (typeof v === 'string') out[h] = v;
    }
    res.writeHead(answer.statusCode ?? 502, out);
    answer.pipe(res);
    answer.on('error', (err) => {
      onError(err);
      res.destroy(err);
    });
  });
  upstream.on('timeout', () => upstream.destroy(new Error(`records export: no answer in ${timeoutMs} ms`)));
  upstream.on('error', (err) => {
    onError(err);
    if (!res.headersSent) {
      const body = JSON.stringify({
        code: 'INTERNAL_SERVER_ERROR',
        message: 'The export is not available now',
      });
      res.writeHead(502, { 'content-type': 'application/json; charset=utf-8' });
      res.end(body);
    } else res.destroy(err);
  });
  req.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  upstream.end();
}
