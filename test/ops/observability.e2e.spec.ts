// Operations, end to end: the running platform exports one trace per content journey (gateway →
// intake → Kafka → approval), and a real Prometheus scraping it can run every dashboard query.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { departmentIdOf } from '@prasar/auth';
import { eventually, gql, portsFor, startStack, tokenFor, type RunningStack } from '@prasar/testing';
import { DASHBOARDS } from '../../deploy/grafana/dashboards';
import { announceAccount } from '../e2e/support';

const PORTS = portsFor(27000);
const PROMETHEUS_PORT = 27090;

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** The Kafka message key of a consumer span (the content id). */
  key?: string;
}

/** A minimal OTLP/HTTP (JSON) trace receiver, so the test sees exactly what services export. */
function startOtlpReceiver(spans: ReceivedSpan[]): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        const payload = JSON.parse(body) as {
          resourceSpans: {
            resource: { attributes: { key: string; value: { stringValue?: string } }[] };
            scopeSpans: {
              spans: {
                traceId: string;
                spanId: string;
                parentSpanId?: string;
                name: string;
                attributes?: { key: string; value: { stringValue?: string } }[];
              }[];
            }[];
          }[];
        };
        for (const rs of payload.resourceSpans ?? []) {
          const service =
            rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? []) {
              const key = s.attributes?.find((a) => a.key === 'messaging.kafka.message.key')?.value
                .stringValue;
              spans.push({
                service,
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId,
                name: s.name,
                key,
              });
            }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function startPrometheus(): ChildProcess {
  const dir = mkdtempSync(join(tmpdir(), 'prasar-prom-'));
  const jobs = Object.entries(PORTS)
    .map(
      ([name, port]) =>
        `  - job_name: prasar-${name}\n    static_configs:\n      - targets: ['127.0.0.1:${port}']`,
    )
    .join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\nscrape_configs:\n${jobs}\n`);
  return spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`,
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
}

async function promQuery(
  expr: string,
): Promise<{ status: string; data?: { result: unknown[] }; error?: string }> {
  const res = await fetch(
    `http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/query?query=${encodeURIComponent(expr)}`,
  );
  return (await res.json()) as { status: string; data?: { result: unknown[] }; error?: string };
}

describe('operations: traces and metrics of a running platform', () => {
  const spans: ReceivedSpan[] = [];
  let receiver: Server;
  let stack: RunningStack;
  let prometheus: ChildProcess;
  let contentId = '';

  beforeAll(async () => {
    receiver = await startOtlpReceiver(spans);
    const { port } = receiver.address() as AddressInfo;
    stack = await startStack({
      ports: PORTS,
      extraEnv: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_BSP_SCHEDULE_DELAY: '200' },
    });
    prometheus = startPrometheus();

    const code = `ops-${randomUUID().slice(0, 8)}`;
    const admin = await tokenFor({ subject: 'ops-admin', roles: ['IT_CELL_ADMIN'] });
    const editor = await tokenFor({
      subject: `ops-editor-${code}`,
      roles: ['DEPT_EDITOR'],
      department: code,
    });
    await gql(
      stack.gatewayUrl,
      'mutation($i: DepartmentInput!) { createDepartment(input: $i) { id } }',
      {
        i: { code, name: 'Revenue', nameHi: 'राजस्व विभाग' },
      },
      admin,
    );
    await announceAccount(`x-${code}`, departmentIdOf(code), '@mp_revenue');
    const created = await eventually(async () => {
      const res = await gql<{ createContent: { id: string } }>(
        stack.gatewayUrl,
        'mutation($d: ID!, $i: ContentInput!) { createContent(departmentId: $d, input: $i) { id } }',
        {
          d: departmentIdOf(code),
          i: {
            kind: 'ORDER',
            title: 'Land records online',
            body: [{ language: 'HI', text: 'भू-अभिलेख अब ऑनलाइन उपलब्ध' }],
            evidence: { orderNumber: 'F-12/2026/7', documentUrl: 'https://mp.gov.in/orders/f-12.pdf' },
            targetAccountIds: [`x-${code}`],
          },
        },
        editor,
      );
      expect(res.errors).toBeUndefined(); // until intake has seen the account
      return res.data!.createContent.id;
    }, 30_000);
    contentId = created;
    const submitted = await gql(
      stack.gatewayUrl,
      'mutation($id: ID!) { submitContent(id: $id) { status } }',
      { id: contentId },
      editor,
    );
    expect(submitted.errors).toBeUndefined();
    await eventually(async () => {
      const res = await gql<{ content: { approval: { state: string } | null } }>(
        stack.gatewayUrl,
        'query($id: ID!) { content(id: $id) { approval { state } } }',
        { id: contentId },
        editor,
      );
      expect(res.data?.content.approval?.state).toBe('PENDING');
    });
  }, 180_000);

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    await stack?.stop();
    await new Promise((r) => receiver?.close(r));
  });

  it('follows one content item in one trace across gateway, intake, Kafka and approval', async () => {
    const trace = await eventually(async () => {
      // This content's submission, as the approval service consumed it (a backlog of other
      // runs' events may be consumed in the same stack).
      const consumer = spans.find(
        (s) =>
          s.service === 'approval' &&
          s.name === 'process prasar.content.v1.ContentSubmitted' &&
          s.key === contentId,
      );
      expect(consumer).toBeDefined();
      const services = new Set(spans.filter((s) => s.traceId === consumer!.traceId).map((s) => s.service));
      expect([...services]).toEqual(expect.arrayContaining(['approval', 'gateway', 'intake']));
      return spans.filter((s) => s.traceId === consumer!.traceId);
    }, 30_000);
    // Every span but the root has its parent in the same trace: no broken links across the hops.
    const ids = new Set(trace.map((s) => s.spanId));
    const roots = trace.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
    expect(roots).toHaveLength(1);
    expect(roots[0].service).toBe('gateway');
  }, 60_000);

  it('is scraped by a real Prometheus, every dashboard query runs, and the key panels have data', async () => {
    await eventually(async () => {
      const up = await promQuery('up{job=~"prasar-.+"} == 1');
      expect(up.data?.result).toHaveLength(Object.keys(PORTS).length);
    }, 30_000);
    const panels = DASHBOARDS.flatMap((d) => d.rows.flatMap((r) => r.panels));
    for (const panel of panels) {
      for (const q of panel.queries) {
        const res = await promQuery(q.expr);
        expect({ panel: panel.title, status: res.status, error: res.error }).toEqual({
          panel: panel.title,
          status: 'success',
          error: undefined,
        });
      }
    }
    const key = panels.filter((p) => p.key);
    expect(key.length).toBeGreaterThanOrEqual(5);
    await eventually(async () => {
      for (const panel of key) {
        const res = await promQuery(panel.queries[0].expr);
        expect({ panel: panel.title, hasData: (res.data?.result.length ?? 0) > 0 }).toEqual({
          panel: panel.title,
          hasData: true,
        });
      }
    }, 30_000);
  }, 90_000);
});
