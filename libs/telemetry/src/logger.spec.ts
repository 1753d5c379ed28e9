import { trace } from '@opentelemetry/api';
import type { DestinationStream } from 'pino';
import { createLogger, getTestSpanExporter, shutdownTelemetry, startTelemetry, withSpan } from './index';

function capture(): { stream: DestinationStream; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  return {
    stream: { write: (chunk: string) => void chunks.push(chunk) },
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  beforeAll(() => {
    startTelemetry({ serviceName: 'logger-spec', testExporter: 'memory', instrumentations: false });
  });
  afterAll(() => shutdownTelemetry());

  it('starts the SDK once per process', () => {
    expect(startTelemetry({ serviceName: 'again', instrumentations: false })).toBe(false);
  });

  it("adds the active span's trace and span ids to a line", async () => {
    const out = capture();
    const log = createLogger('spec', { destination: out.stream });
    let ids: { traceId: string; spanId: string } | undefined;
    await withSpan('log something', (span) => {
      ids = span.spanContext();
      log.info({ n: 1 }, 'inside a span');
    });
    log.info('outside any span');

    const [inside, outside] = out.lines();
    expect(inside).toMatchObject({
      msg: 'inside a span',
      level: 'info',
      name: 'spec',
      service: 'logger-spec',
      n: 1,
      trace_id: ids!.traceId,
      span_id: ids!.spanId,
    });
    expect(inside!.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(outside!.trace_id).toBeUndefined();
    expect(typeof inside!.time).toBe('string');
    // The in-memory exporter saw the span too.
    expect(
      getTestSpanExporter()!
        .getFinishedSpans()
        .map((s) => s.name),
    ).toContain('log something');
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it('redacts credentials', () => {
    const out = capture();
    const log = createLogger(undefined, { destination: out.stream });
    log.info(
      {
        authorization: 'Bearer top',
        user: { id: 'u1', password: 'hunter2', accessToken: 'at' },
        session: { token: 'tok' },
        req: { method: 'GET', headers: { authorization: 'Bearer x', cookie: 'sid=1', host: 'h' } },
      },
      'secrets',
    );
    const [line] = out.lines();
    expect(line).toMatchObject({
      authorization: '[Redacted]',
      user: { id: 'u1', password: '[Redacted]', accessToken: '[Redacted]' },
      session: { token: '[Redacted]' },
      req: { method: 'GET', headers: { authorization: '[Redacted]', cookie: '[Redacted]', host: 'h' } },
    });
    expect(JSON.stringify(line)).not.toMatch(/hunter2|Bearer|sid=1|"at"|tok"/);
  });

  it('redacts secrets inside strings: embedded JSON, GraphQL literals, Bearer values, key=value, URLs', () => {
    const out = capture();
    const log = createLogger(undefined, { destination: out.stream });
    const body = JSON.stringify({
      query: 'mutation($i: AccountInput!) { connectAccount(input: $i) { id } }',
      variables: { i: { platform: 'X', accessToken: 'S3CRET-AT-1', refreshToken: 'S3CRET-RT-2' } },
    });
    log.error(
      {
        extensions: { request: { method: 'POST', body }, code: 'SUBREQUEST_HTTP_ERROR' },
        twiceEncoded: JSON.stringify({ inner: body }),
        query:
          'mutation { connectAccount(input: { accessToken: "S3CRET-AT-3", password: "S3CRET-PW-4" }) { id } }',
        detail: 'header was Authorization: Bearer eyJS3CRET.payload.sig and clientSecret=S3CRET-CS-5&x=1',
        url: 'postgres://prasar:S3CRET-DB-6@127.0.0.1:5432/prasar',
        counts: { maxTokens: 2000, tokenCount: 'visible' },
      },
      'request failed with password=S3CRET-PW-7',
    );
    const text = JSON.stringify(out.lines());
    expect(text).not.toMatch(/S3CRET/);
    const [line] = out.lines();
    // What is not a secret stays readable.
    expect(line).toMatchObject({ counts: { maxTokens: 2000, tokenCount: 'visible' } });
    expect(line.url).toBe('postgres://prasar:[Redacted]@127.0.0.1:5432/prasar');
    expect(JSON.parse((line.extensions as { request: { body: string } }).request.body)).toEqual({
      query: 'mutation($i: AccountInput!) { connectAccount(input: $i) { id } }',
      variables: { i: { platform: 'X', accessToken: '[Redacted]', refreshToken: '[Redacted]' } },
    });
  });

  it("redacts a webhook's verify token in a logged URL, and secrets under nested keys", () => {
    const out = capture();
    const log = createLogger('spec', { destination: out.stream });
    log.info(
      {
        req: { url: '/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=vt-7f3a9c&hub.challenge=42' },
        account: { credentials: { nested: { clientSecret: 'cs-91ab' } } },
      },
      'handshake',
    );
    const line = JSON.stringify(out.lines()[0]);
    expect(line).not.toContain('vt-7f3a9c');
    expect(line).not.toContain('cs-91ab');
    expect(line).toContain('hub.challenge=42');
  });

  it('honours the level', () => {
    const out = capture();
    const log = createLogger('quiet', { destination: out.stream, level: 'warn' });
    log.info('dropped');
    log.warn('kept');
    expect(out.lines().map((l) => l.msg)).toEqual(['kept']);
  });
});
