// A department dashboard through the gateway (intake + publisher + approval) against its intake part
// straight to the intake subgraph: autocannon, 32 connections, every request unique (a variable
// changes per request, so no layer can merge identical in-flight fetches).
import type { RunningStack } from '@prasar/testing';
import type { Measurement } from './report';
import { write } from './report';
import { cpuBetween, cpuSnapshot, describeCpu } from './cpu';
import { call } from './util';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;

const GATEWAY_QUERY = `query Dashboard($d: ID!, $to: DateTime) {
  department(id: $d) { name accounts { handle status } }
  contents(filter: { departmentId: $d, to: $to }, first: 20) { edges { node { id title status approval { state } } } }
}`;
const INTAKE_QUERY = `query Dashboard($d: ID!, $to: DateTime) {
  department(id: $d) { name }
  contents(filter: { departmentId: $d, to: $to }, first: 20) { edges { node { id title status } } }
}`;

let counter = 0;
/** A distinct far-future upper bound per request: the same rows, a different request. */
const uniqueTo = () => new Date(Date.UTC(2100, 0, 1) + counter++ * 1000).toISOString();

async function cannon(url: string, query: string, departmentId: string, token: string, seconds: number) {
  return autocannon({
    url,
    method: 'POST',
    connections: 32,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => ({
          ...req,
          body: JSON.stringify({ query, variables: { d: departmentId, to: uniqueTo() } }),
        }),
      },
    ],
  });
}

export async function runGateway(
  stack: RunningStack,
  dept: { id: string; editor: string },
  opts: { seconds: number; warmupSeconds: number },
): Promise<Measurement[]> {
  // Both queries must answer without errors and with the same contents.
  const viaGateway = await call<{ contents: { edges: unknown[] }; department: { accounts: unknown[] } }>(
    stack.gatewayUrl,
    GATEWAY_QUERY,
    { d: dept.id, to: uniqueTo() },
    dept.editor,
  );
  const direct = await call<{ contents: { edges: unknown[] } }>(
    stack.urls.intake,
    INTAKE_QUERY,
    { d: dept.id, to: uniqueTo() },
    dept.editor,
  );
  const shape = `${viaGateway.contents.edges.length} contents, ${viaGateway.department.accounts.length} accounts`;
  if (direct.contents.edges.length !== viaGateway.contents.edges.length)
    throw new Error('gateway and intake disagree');

  const results: Record<string, AutocannonResult> = {};
  const cpuOf: Record<string, string> = {};
  for (const [name, url, query] of [
    ['subgraph', stack.urls.intake, INTAKE_QUERY],
    ['gateway', stack.gatewayUrl, GATEWAY_QUERY],
  ] as const) {
    await cannon(url, query, dept.id, dept.editor, opts.warmupSeconds);
    const cpu0 = cpuSnapshot();
    const r = await cannon(url, query, dept.id, dept.editor, opts.seconds);
    results[name] = r;
    cpuOf[name] = describeCpu(cpuBetween(cpu0, cpuSnapshot()));
    write(`  ${cpuOf[name]}\n`);
    write(
      `  ${name}: ${r.requests.average.toFixed(0)} req/s, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}\n`,
    );
  }
  const sub = results.subgraph;
  const gw = results.gateway;
  const bad = (r: AutocannonResult) =>
    r.non2xx || r.errors || r.timeouts
      ? `; ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`
      : '';
  return [
    {
      name: 'gateway.subgraph_alone',
      value: sub.requests.average,
      unit: 'req/s',
      detail: `intake only (department + contents), p50 ${sub.latency.p50} ms, p99 ${sub.latency.p99} ms${bad(sub)}; ${cpuOf.subgraph}`,
    },
    {
      name: 'gateway.dashboard',
      value: gw.requests.average,
      unit: 'req/s',
      ceiling: 'gateway.subgraph_alone',
      detail: `intake + publisher accounts + approval state per content (${shape}), p50 ${gw.latency.p50} ms, p99 ${gw.latency.p99} ms${bad(gw)}; ${cpuOf.gateway}`,
    },
  ];
}
