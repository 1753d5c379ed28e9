import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  createCounter,
  createDurationHistogram,
  createGauge,
  getMetricsHandler,
  ReadinessRegistry,
  startTimer,
  TelemetryModule,
} from './index';

// Request logs of the app under test would only clutter the Jest output.
process.env.LOG_LEVEL = 'silent';

function urlOf(server: Server): string {
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

describe('TelemetryModule', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TelemetryModule.forRoot({ serviceName: 't' })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = urlOf(app.getHttpServer() as Server);
  });
  afterAll(() => app.close());

  it('serves counters, histograms and gauges from the meter on /metrics', async () => {
    const published = createCounter<{ platform: string }>('prasar_spec_published_total', 'Posts published');
    published.add(3, { platform: 'x' });
    const duration = createDurationHistogram('prasar_spec_operation', 'How long an operation took');
    const stop = startTimer();
    duration.record(stop() + 0.2);
    createGauge('prasar_spec_backlog', 'Rows waiting', (result) => result.observe(7));

    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# HELP prasar_spec_published_total Posts published');
    expect(text).toContain('# TYPE prasar_spec_published_total counter');
    expect(text).toMatch(/^prasar_spec_published_total\{platform="x",otel_scope_name="prasar"\} 3$/m);
    expect(text).not.toContain('_total_total');
    expect(text).toContain('# TYPE prasar_spec_operation_seconds histogram');
    expect(text).toMatch(/^prasar_spec_operation_seconds_bucket\{[^}]*le="0\.25"\} 1$/m);
    expect(text).toMatch(/^prasar_spec_operation_seconds_count\{[^}]*\} 1$/m);
    expect(text).toMatch(/^prasar_spec_backlog\{[^}]*\} 7$/m);
    expect(text).toMatch(/^target_info\{[^}]*service_name="t"[^}]*\} 1$/m);
  });

  it('rejects names Prometheus would mangle', () => {
    expect(() => createCounter('Bad-Name', 'x')).toThrow(/snake_case/);
  });

  it('answers /healthz', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz from the registered checks', async () => {
    const readiness = app.get(ReadinessRegistry);
    const removeDb = readiness.register('database', () => true);
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({
      status: 'ok',
      checks: { database: 'ok' },
    });

    const removeKafka = readiness.register('kafka', () => Promise.reject(new Error('broker down')));
    const removeFalse = readiness.register('migrations', () => false);
    const removeSlow = readiness.register('slow', () => new Promise(() => undefined), { timeoutMs: 50 });
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; failing: string[]; checks: Record<string, string> };
    expect(body.status).toBe('unavailable');
    expect(body.failing.sort()).toEqual(['kafka', 'migrations', 'slow']);
    expect(body.checks).toEqual({ database: 'ok', kafka: 'failed', migrations: 'failed', slow: 'timeout' });

    removeKafka();
    removeFalse();
    removeSlow();
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    removeDb();
  });

  it('serves the same metrics to a plain node:http server', async () => {
    const server = createServer(getMetricsHandler());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`${urlOf(server)}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('# TYPE prasar_spec_published_total counter');
      expect((await fetch(`${urlOf(server)}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
