// Prasar's Grafana dashboards, authored as code with the Grafana Foundation SDK. `generate.ts`
// writes them as JSON to deploy/grafana/dashboards/ and into the Helm chart (ConfigMaps for the
// Grafana sidecar). Every query here is also run against a real Prometheus in the test suite.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

export interface PanelSpec {
  title: string;
  description: string;
  kind: 'timeseries' | 'stat' | 'table';
  unit?: string;
  queries: { expr: string; legend?: string }[];
  /** A key panel must return data while the platform runs (checked end to end). */
  key?: boolean;
  width?: number;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  rows: { title: string; panels: PanelSpec[] }[];
}

const rate = (expr: string) => `sum by (job) (rate(${expr}[5m]))`;

export const OPERATIONS: DashboardSpec = {
  uid: 'prasar-operations',
  title: 'Prasar / Operations',
  description: 'Health of every service, GraphQL, Kafka, the outboxes, dead letters and publishing.',
  rows: [
    {
      title: 'Services',
      panels: [
        {
          title: 'Services up',
          description: 'Scrape health of each Prasar service (1 = up).',
          kind: 'stat',
          queries: [{ expr: 'up{job=~"prasar-.+"}', legend: '{{job}}' }],
          key: true,
          width: 24,
        },
        {
          title: 'GraphQL operations per second',
          description: 'Requests served by each subgraph (RED: rate).',
          kind: 'timeseries',
          unit: 'reqps',
          queries: [{ expr: rate('prasar_graphql_operations_total'), legend: '{{job}}' }],
          key: true,
        },
        {
          title: 'GraphQL error ratio',
          description: 'Share of operations answered with an error, by service (RED: errors).',
          kind: 'timeseries',
          unit: 'percentunit',
          queries: [
            {
              expr: `${rate('prasar_graphql_operations_total{outcome="error"}')} / ${rate('prasar_graphql_operations_total')}`,
              legend: '{{job}}',
            },
          ],
        },
        {
          title: 'GraphQL p95 duration',
          description: '95th percentile time to serve an operation, by service (RED: duration).',
          kind: 'timeseries',
          unit: 's',
          queries: [
            {
              expr: 'histogram_quantile(0.95, sum by (job, le) (rate(prasar_graphql_operation_duration_seconds_bucket[5m])))',
              legend: '{{job}}',
            },
          ],
        },
        {
          title: 'Errors by code',
          description: 'Refusals and failures by contract error code.',
          kind: 'timeseries',
          unit: 'reqps',
          queries: [
            {
              expr: 'sum by (error_code) (rate(prasar_graphql_operations_total{outcome="error"}[5m]))',
              legend: '{{error_code}}',
            },
          ],
        },
      ],
    },
    {
      title: 'Kafka and the outboxes',
      panels: [
        {
          title: 'Events handled per second',
          description: 'Messages each consumer group finished, by outcome.',
          kind: 'timeseries',
          unit: 'ops',
          queries: [
            {
              expr: 'sum by (consumer_group, outcome) (rate(prasar_kafka_messages_processed_total[5m]))',
              legend: '{{consumer_group}} {{outcome}}',
            },
          ],
          key: true,
        },
        {
          title: 'Consumer lag',
          description: 'Messages not yet committed, per consumer group.',
          kind: 'timeseries',
          unit: 'short',
          queries: [
            { expr: 'sum by (consumer_group) (prasar_kafka_consumer_lag)', legend: '{{consumer_group}}' },
          ],
          key: true,
        },
        {
          title: 'Handler p95 duration',
          description: '95th percentile time to handle one event, retries included.',
          kind: 'timeseries',
          unit: 's',
          queries: [
            {
              expr: 'histogram_quantile(0.95, sum by (consumer_group, le) (rate(prasar_kafka_handler_duration_seconds_bucket[5m])))',
              legend: '{{consumer_group}}',
            },
          ],
        },
        {
          title: 'Dead-lettered in the last hour',
          description: 'Messages parked on a .dlq topic after every retry failed.',
          kind: 'stat',
          queries: [
            {
              expr: 'sum by (consumer_group, topic) (increase(prasar_kafka_dead_lettered_total[1h]))',
              legend: '{{consumer_group}} ← {{topic}}',
            },
          ],
        },
        {
          title: 'Outbox backlog',
          description: 'Events written but not yet published, per service.',
          kind: 'timeseries',
          unit: 'short',
          queries: [{ expr: 'sum by (job) (prasar_outbox_pending_events)', legend: '{{job}}' }],
          key: true,
        },
        {
          title: 'Oldest unpublished outbox event',
          description: 'Age of the oldest pending event; should stay under a second.',
          kind: 'timeseries',
          unit: 's',
          queries: [{ expr: 'max by (job) (prasar_outbox_oldest_pending_age_seconds)', legend: '{{job}}' }],
        },
      ],
    },
    {
      title: 'PostgreSQL and publishing',
      panels: [
        {
          title: 'Database operation p95 duration',
          description: 'PostgreSQL client calls (OpenTelemetry pg instrumentation), by service.',
          kind: 'timeseries',
          unit: 's',
          queries: [
            {
              expr: 'histogram_quantile(0.95, sum by (job, le) (rate(db_client_operation_duration_seconds_bucket[5m])))',
              legend: '{{job}}',
            },
          ],
        },
        {
          title: 'Publications by platform and outcome',
          description: 'Publish outcomes per platform over 15 minutes.',
          kind: 'timeseries',
          unit: 'ops',
          queries: [
            {
              expr: 'sum by (platform, outcome) (rate(prasar_publish_outcomes_total[15m]))',
              legend: '{{platform}} {{outcome}}',
            },
          ],
        },
      ],
    },
  ],
};

export const DEPARTMENTS: DashboardSpec = {
  uid: 'prasar-departments',
  title: 'Prasar / Departments',
  description: 'Posting, approvals, SLA, engagement and who is missing today\u2019s achievement.',
  rows: [
    {
      title: 'Today',
      panels: [
        {
          title: 'Departments missing today\u2019s achievement',
          description: 'Departments that have not published an ACHIEVEMENT today (Asia/Kolkata).',
          kind: 'table',
          queries: [{ expr: 'prasar_daily_achievement_published == 0', legend: '{{department}}' }],
          key: true,
          width: 12,
        },
        {
          title: 'Published by platform',
          description: 'Publications per platform in the last 24 hours.',
          kind: 'stat',
          queries: [
            {
              expr: 'sum by (platform) (increase(prasar_publish_outcomes_total{outcome="published"}[24h]))',
              legend: '{{platform}}',
            },
          ],
          width: 12,
        },
      ],
    },
    {
      title: 'Approvals',
      panels: [
        {
          title: 'Approval turnaround (p50, p90)',
          description: 'Time from submission to the final decision.',
          kind: 'timeseries',
          unit: 's',
          queries: [
            {
              expr: 'histogram_quantile(0.5, sum by (le) (rate(prasar_approval_turnaround_seconds_bucket[1h])))',
              legend: 'p50',
            },
            {
              expr: 'histogram_quantile(0.9, sum by (le) (rate(prasar_approval_turnaround_seconds_bucket[1h])))',
              legend: 'p90',
            },
          ],
        },
        {
          title: 'SLA breaches by role',
          description: 'Approval stages escalated past their SLA in the last 24 hours.',
          kind: 'stat',
          queries: [
            { expr: 'sum by (role) (increase(prasar_approval_sla_breaches_total[24h]))', legend: '{{role}}' },
          ],
        },
        {
          title: 'Submissions and decisions',
          description: 'Operations on content and approvals per second.',
          kind: 'timeseries',
          unit: 'ops',
          queries: [
            {
              expr: 'sum by (root_field) (rate(prasar_graphql_operations_total{operation_type="mutation"}[5m]))',
              legend: '{{root_field}}',
            },
          ],
          key: true,
        },
      ],
    },
    {
      title: 'Engagement',
      panels: [
        {
          title: 'Engagement rate by department',
          description: 'Engagements per impression over the last day.',
          kind: 'table',
          unit: 'percentunit',
          queries: [{ expr: 'prasar_department_engagement_rate', legend: '{{department}}' }],
        },
      ],
    },
  ],
};

/** Builds a dashboard's JSON model from its spec. */
export function buildDashboard(spec: DashboardSpec): unknown {
  const builder = new dashboard.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags(['prasar'])
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('Asia/Kolkata')
    .withVariable(
      new dashboard.DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'),
    );
  const datasource = { type: 'prometheus', uid: '${datasource}' };
  // Lay panels out left to right in rows of 24 columns, each section starting on a new line.
  let x = 0;
  let y = 0;
  for (const row of spec.rows) {
    if (x > 0) y += 8;
    x = 0;
    builder.withRow(new dashboard.RowBuilder(row.title).gridPos({ h: 1, w: 24, x: 0, y }));
    y += 1;
    for (const p of row.panels) {
      const w = p.width ?? 8;
      if (x + w > 24) {
        x = 0;
        y += 8;
      }
      const targets = p.queries.map((q, i) =>
        new prometheus.DataqueryBuilder()
          .expr(q.expr)
          .legendFormat(q.legend ?? '')
          .refId(String.fromCharCode(65 + i)),
      );
      const panel =
        p.kind === 'stat'
          ? new stat.PanelBuilder()
          : p.kind === 'table'
            ? new table.PanelBuilder()
            : new timeseries.PanelBuilder();
      panel.title(p.title).description(p.description).datasource(datasource).gridPos({ h: 8, w, x, y });
      x += w;
      if (p.unit) panel.unit(p.unit);
      for (const t of targets) panel.withTarget(t);
      builder.withPanel(panel);
    }
  }
  return builder.build();
}

export const DASHBOARDS = [OPERATIONS, DEPARTMENTS];
