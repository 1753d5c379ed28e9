// The publishing pipeline through the gateway: N departments, each with many connected X accounts on
// the simulator (X paces an account to one post per 10 minutes and the pacing has no API, so every
// content gets an account of its own), contents created, submitted, approved and scheduled at the
// next free slot, until the scheduler reports them PUBLISHED.
import { departmentIdOf } from '@prasar/auth';
import { platformSim, tokenFor, type RunningStack } from '@prasar/testing';
import type { Measurement } from './report';
import { write } from './report';
import { cpuBetween, cpuSnapshot, describeCpu } from './cpu';
import { waitForQuiet } from './lag';
import { call, percentile, pool, sleep } from './util';
import type { InfraEnv } from '@prasar/testing';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const stackDefs = require('../libs/testing/src/stack.cjs') as { simAdminToken: () => string };

interface Dept {
  code: string;
  id: string;
  admin: string;
  editor: string;
  approver: string;
  accounts: string[];
}

interface Item {
  dept: Dept;
  accountId: string;
  contentId?: string;
  submittedAt?: number;
  approvedAt?: number;
  scheduledAt?: number;
  publishedAt?: number;
  error?: string;
  decideAttempts?: number;
  scheduleAttempts?: number;
  /** The last (successful) decide and schedule calls' round trips. */
  decideMs?: number;
  scheduleMs?: number;
  submitMs?: number;
}

/** Calls fn until it succeeds (bounded by time), counting attempts. */
async function attempts<T>(
  fn: () => Promise<T>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<{ value: T; attempts: number; ms: number }> {
  const deadline = Date.now() + timeoutMs;
  for (let n = 1; ; n++) {
    const t = Date.now();
    try {
      const value = await fn();
      return { value, attempts: n, ms: Date.now() - t };
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(intervalMs);
    }
  }
}

const CREATE = `mutation($d: ID!, $i: ContentInput!, $k: String) {
  createContent(departmentId: $d, input: $i, idempotencyKey: $k) { id }
}`;
const SUBMIT = `mutation($id: ID!) { submitContent(id: $id) { status } }`;
const DECIDE = `mutation($c: ID!) { decide(contentId: $c, decision: APPROVE) { state } }`;
const SCHEDULE = `mutation($c: ID!) { schedule(input: { contentId: $c, nextFreeSlot: true }) { state } }`;
const CALENDAR = `query($f: DateTime!, $t: DateTime!, $d: ID) {
  calendar(from: $f, to: $t, departmentId: $d) { state publishedAt heldReason lastError content { id } }
}`;

export interface PipelineOptions {
  departments: number;
  /** Contents approved open-loop at `rate` per second, for approval→published latency. */
  latencyPhases: { rate: number; contents: number }[];
  /** How long to wait at most for the services' consumers to catch up before a timed phase. */
  drainTimeoutMs: number;
  /** Contents pushed submit→decide→schedule as fast as `concurrency` workers go, for throughput. */
  throughputContents: number;
  concurrency: number;
}

export interface PipelineSetup {
  departments: Dept[];
  run: string;
  accountsConnected: number;
  connectSeconds: number;
  drainSeconds: number;
}

export async function setupPipeline(
  stack: RunningStack,
  env: InfraEnv,
  groups: string[],
  opts: PipelineOptions,
): Promise<PipelineSetup> {
  const run = Date.now().toString(36);
  const gw = stack.gatewayUrl;
  const sim = platformSim({ baseUrl: stack.urls['platform-sim'], adminToken: stackDefs.simAdminToken() });
  const itAdmin = await tokenFor({ subject: 'bench-it-admin', roles: ['IT_CELL_ADMIN'] });
  const latencyTotal = opts.latencyPhases.reduce((n, p) => n + p.contents, 0);
  const perDept = Math.ceil((latencyTotal + opts.throughputContents) / opts.departments);
  const depts: Dept[] = [];
  for (let d = 0; d < opts.departments; d++) {
    const code = `bench-${run}-${d}`;
    const t = (subject: string, role: string) =>
      tokenFor({ subject: `${subject}-${code}`, roles: [role as 'DEPT_ADMIN'], department: code });
    depts.push({
      code,
      id: departmentIdOf(code),
      admin: await t('admin', 'DEPT_ADMIN'),
      editor: await t('editor', 'DEPT_EDITOR'),
      approver: await t('approver', 'DEPT_APPROVER'),
      accounts: [],
    });
  }
  await pool(depts, 4, (d, i) =>
    call(
      gw,
      'mutation($i: DepartmentInput!) { createDepartment(input: $i) { id } }',
      { i: { code: d.code, name: `Bench department ${i}`, nameHi: `परीक्षण विभाग ${i}` } },
      itAdmin,
    ),
  );
  const specs = depts.flatMap((dept, d) =>
    Array.from({ length: perDept }, (_, a) => ({
      dept,
      key: `${run}${String(d).padStart(2, '0')}${String(a).padStart(3, '0')}`,
    })),
  );
  const base = BigInt(Date.now()) * 100000n;
  const started = Date.now();
  await pool(specs, 16, async (s, i) => {
    const xId = String(base + BigInt(i));
    await sim.registerXAccount({
      id: xId,
      username: `b_${s.key}`,
      accessToken: `bx-${s.key}`,
      refreshToken: `bxr-${s.key}`,
    });
    const res = await call<{ connectAccount: { id: string; status: string } }>(
      gw,
      `mutation($i: AccountInput!, $o: AccountOptionsInput) { connectAccount(input: $i, options: $o) { id status } }`,
      {
        i: {
          departmentId: s.dept.id,
          platform: 'X',
          handle: `b_${s.key}`,
          accessToken: `bx-${s.key}`,
          externalAccountId: xId,
        },
        o: { refreshToken: `bxr-${s.key}`, clientId: 'prasar-x-client' },
      },
      s.dept.admin,
    );
    s.dept.accounts.push(res.connectAccount.id);
    if ((i + 1) % 200 === 0) write(`  connected ${i + 1}/${specs.length} X accounts\n`);
  });
  const connectedIn = (Date.now() - started) / 1000;
  write(
    `  ${opts.departments} departments, ${specs.length} X accounts connected in ${connectedIn.toFixed(1)} s\n`,
  );
  const drain = await waitForQuiet(env, groups, opts.drainTimeoutMs);
  write(`  consumers caught up ${(drain.waitedMs / 1000).toFixed(1)} s later (${drain.detail})\n`);
  return {
    departments: depts,
    run,
    accountsConnected: specs.length,
    connectSeconds: connectedIn,
    drainSeconds: drain.waitedMs / 1000,
  };
}

function contentInput(item: Item, run: string, n: number) {
  return {
    kind: 'SCHEME',
    title: `Bench ${run} #${n}`,
    body: [{ language: 'HI', text: `मुख्यमंत्री किसान कल्याण योजना: किस्त जारी (${run}-${n})` }],
    hashtags: ['Bench'],
    targetAccountIds: [item.accountId],
  };
}

async function createAll(
  gw: string,
  items: Item[],
  run: string,
  offset: number,
  concurrency: number,
): Promise<void> {
  await pool(items, concurrency, async (item, i) => {
    // Retried until intake has seen the account's AccountConnected; the idempotency key makes a
    // retry after a call that timed out (but created the draft) answer that draft, not a second one.
    const res = await attempts(
      () =>
        call<{ createContent: { id: string } }>(
          gw,
          CREATE,
          { d: item.dept.id, i: contentInput(item, run, offset + i), k: `bench-${run}-${offset + i}` },
          item.dept.editor,
        ),
      60_000,
      200,
    );
    item.contentId = res.value.createContent.id;
  });
}

async function approveAndSchedule(gw: string, item: Item): Promise<void> {
  // Counted, and retried if refused: approval waits (bounded) for the ContentSubmitted it needs, so
  // the first call is expected to succeed.
  const d = await attempts(async () => {
    const r = await call<{ decide: { state: string } }>(
      gw,
      DECIDE,
      { c: item.contentId },
      item.dept.approver,
    );
    if (r.decide.state !== 'APPROVED') throw new Error(`decide answered ${r.decide.state}`);
  }, 60_000);
  item.approvedAt = Date.now();
  item.decideAttempts = d.attempts;
  item.decideMs = d.ms;
  // Likewise the scheduler waits (bounded) for ContentApproved.
  const s = await attempts(() => call(gw, SCHEDULE, { c: item.contentId }, item.dept.editor), 60_000);
  item.scheduledAt = Date.now();
  item.scheduleAttempts = s.attempts;
  item.scheduleMs = s.ms;
}

/** Polls the scheduler's calendar (straight to the subgraph, to load the gateway less) until every item is PUBLISHED. */
async function awaitPublished(
  stack: RunningStack,
  items: Item[],
  from: number,
  timeoutMs: number,
): Promise<void> {
  const byId = new Map(items.filter((i) => i.contentId).map((i) => [i.contentId!, i]));
  const depts = [...new Set(items.map((i) => i.dept))];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const d of depts) {
      const res = await call<{
        calendar: {
          state: string;
          publishedAt: string | null;
          heldReason: string | null;
          lastError: string | null;
          content: { id: string };
        }[];
      }>(
        stack.urls.scheduler,
        CALENDAR,
        {
          f: new Date(from - 60_000).toISOString(),
          t: new Date(Date.now() + 3_600_000).toISOString(),
          d: d.id,
        },
        d.editor,
      );
      for (const p of res.calendar) {
        const item = byId.get(p.content.id);
        if (!item) continue;
        if (p.state === 'PUBLISHED' && p.publishedAt) item.publishedAt = Date.parse(p.publishedAt);
        if (p.state === 'FAILED' || p.state === 'HELD') {
          item.error = `publication ${p.state}: ${p.heldReason ?? p.lastError ?? ''}`;
        }
      }
    }
    const pending = items.filter((i) => i.contentId && !i.publishedAt && !i.error).length;
    if (pending === 0) return;
    await sleep(1000);
  }
}

function stats(xs: (number | undefined)[]): string {
  const v = xs.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  const mean = v.reduce((a, b) => a + b, 0) / (v.length || 1);
  return `mean ${mean.toFixed(1)}, p50 ${percentile(v, 50)}, p99 ${percentile(v, 99)}`;
}

export async function runPipeline(
  stack: RunningStack,
  env: InfraEnv,
  groups: string[],
  setup: PipelineSetup,
  opts: PipelineOptions,
): Promise<Measurement[]> {
  const gw = stack.gatewayUrl;
  const { run } = setup;
  const accounts = setup.departments.flatMap((dept) =>
    dept.accounts.map((accountId) => ({ dept, accountId })),
  );
  // Interleave departments so that consecutive items belong to different departments.
  accounts.sort((a, b) => a.dept.accounts.indexOf(a.accountId) - b.dept.accounts.indexOf(b.accountId));
  const latencyTotal = opts.latencyPhases.reduce((n, p) => n + p.contents, 0);
  const latencyItems: Item[] = accounts.slice(0, latencyTotal).map((a) => ({ ...a }));
  const throughputItems: Item[] = accounts
    .slice(latencyTotal, latencyTotal + opts.throughputContents)
    .map((a) => ({ ...a }));
  const out: Measurement[] = [];

  // Phase 1: approval→published latency at fixed approval rates (open loop). Contents are created
  // and submitted first (not timed).
  let t = Date.now();
  let used = 0;
  for (const phase of opts.latencyPhases) {
    const items = latencyItems.slice(used, used + phase.contents);
    used += phase.contents;
    t = Date.now();
    await createAll(gw, items, run, used - phase.contents, 32);
    await pool(items, 32, async (item) => {
      await call(gw, SUBMIT, { id: item.contentId }, item.dept.editor);
    });
    write(
      `  latency at ${phase.rate}/s: ${items.length} contents created and submitted in ${((Date.now() - t) / 1000).toFixed(1)} s\n`,
    );
    // Start only when every service has consumed what came before, so decide is not retried and
    // the scheduler is not still working through a backlog.
    const quiet = await waitForQuiet(env, groups, opts.drainTimeoutMs);
    write(`  consumers caught up after ${(quiet.waitedMs / 1000).toFixed(1)} s (${quiet.detail})\n`);
    const cpu0 = cpuSnapshot();
    const phaseStart = Date.now();
    const interval = 1000 / phase.rate;
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < items.length; i++) {
      const wait = phaseStart + i * interval - Date.now();
      if (wait > 0) await sleep(wait);
      const item = items[i];
      inFlight.push(approveAndSchedule(gw, item).catch((err: Error) => void (item.error = err.message)));
    }
    const offered = items.length / ((Date.now() - phaseStart) / 1000);
    await Promise.all(inFlight);
    await awaitPublished(stack, items, phaseStart, 90_000);
    const cpu = describeCpu(cpuBetween(cpu0, cpuSnapshot()));
    write(`  ${cpu}\n`);
    const lat = items
      .filter((i) => i.publishedAt && i.approvedAt)
      .map((i) => i.publishedAt! - i.approvedAt!)
      .sort((a, b) => a - b);
    const schedLat = items
      .filter((i) => i.scheduledAt && i.approvedAt)
      .map((i) => i.scheduledAt! - i.approvedAt!)
      .sort((a, b) => a - b);
    const lost = items.length - lat.length;
    const detail = `${lat.length}/${items.length} published, approvals offered at ${offered.toFixed(1)}/s; approval→schedule accepted p50 ${percentile(schedLat, 50)} ms, p99 ${percentile(schedLat, 99)} ms; decide round trip ms ${stats(items.map((i) => i.decideMs))}; schedule attempts ${stats(items.map((i) => i.scheduleAttempts))}; ${cpu}`;
    out.push({
      name: `pipeline.approval_to_published@${phase.rate}/s.p50`,
      value: percentile(lat, 50),
      unit: 'ms',
      detail,
    });
    out.push({
      name: `pipeline.approval_to_published@${phase.rate}/s.p99`,
      value: percentile(lat, 99),
      unit: 'ms',
      target: phase.rate === 50 ? '≤ 1,000 ms at 50 contents/s' : undefined,
      detail: lost ? `${lost} not published: ${items.find((i) => i.error)?.error ?? 'timeout'}` : undefined,
    });
    write(
      `  latency at ${phase.rate}/s done: p50 ${percentile(lat, 50)} ms, p99 ${percentile(lat, 99)} ms\n`,
    );
  }

  // Phase 2: throughput. Contents are created first (not timed); then submit → decide → schedule
  // per content with `concurrency` workers; the rate is counted from the first submit to the last publishedAt.
  t = Date.now();
  await createAll(gw, throughputItems, run, latencyTotal, 32);
  const quiet2 = await waitForQuiet(env, groups, opts.drainTimeoutMs);
  write(`  consumers caught up after ${(quiet2.waitedMs / 1000).toFixed(1)} s (${quiet2.detail})\n`);
  write(
    `  throughput phase: ${throughputItems.length} contents created in ${((Date.now() - t) / 1000).toFixed(1)} s (${(throughputItems.length / ((Date.now() - t) / 1000)).toFixed(0)}/s)\n`,
  );
  const cpu0 = cpuSnapshot();
  const phase2Start = Date.now();
  await pool(throughputItems, opts.concurrency, async (item) => {
    try {
      const t0 = Date.now();
      await call(gw, SUBMIT, { id: item.contentId }, item.dept.editor);
      item.submittedAt = Date.now();
      item.submitMs = item.submittedAt - t0;
      await approveAndSchedule(gw, item);
    } catch (err) {
      item.error = (err as Error).message;
    }
  });
  const allScheduled = Date.now();
  const cpu = describeCpu(cpuBetween(cpu0, cpuSnapshot()));
  write(`  while submitting: ${cpu}\n`);
  await awaitPublished(stack, throughputItems, phase2Start, 120_000);
  const published = throughputItems.filter((i) => i.publishedAt);
  const lastPublished = Math.max(...published.map((i) => i.publishedAt!));
  const seconds = (lastPublished - phase2Start) / 1000;
  const e2e = published.map((i) => i.publishedAt! - i.submittedAt!).sort((a, b) => a - b);
  const scheduledRate = throughputItems.length / ((allScheduled - phase2Start) / 1000);
  out.push({
    name: 'pipeline.throughput',
    value: published.length / seconds,
    unit: 'contents/s',
    target: '≥ 200 contents/s',
    detail: `${published.length}/${throughputItems.length} submitted→PUBLISHED in ${seconds.toFixed(1)} s, ${opts.concurrency} workers, ${opts.departments} departments; the client's submit+decide+schedule alone ran at ${scheduledRate.toFixed(0)}/s; submit→published p50 ${percentile(e2e, 50)} ms, p99 ${percentile(e2e, 99)} ms; round trips ms: submit ${stats(throughputItems.map((i) => i.submitMs))}, decide ${stats(throughputItems.map((i) => i.decideMs))}, schedule ${stats(throughputItems.map((i) => i.scheduleMs))}; attempts: decide ${stats(throughputItems.map((i) => i.decideAttempts))}, schedule ${stats(throughputItems.map((i) => i.scheduleAttempts))}; while submitting, ${cpu}`,
  });
  // Read-your-writes: a decide right after submit and a schedule right after decide succeed on the
  // first call (the services wait for the event they need), so both p99s are 1 attempt.
  for (const [mutation, counts] of [
    ['decide', [...latencyItems, ...throughputItems].map((i) => i.decideAttempts)],
    ['schedule', [...latencyItems, ...throughputItems].map((i) => i.scheduleAttempts)],
  ] as const) {
    const sorted = counts.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
    out.push({
      name: `pipeline.${mutation}_attempts.p99`,
      value: percentile(sorted, 99),
      unit: 'attempts',
      target: '1 (the first call succeeds)',
      detail: `${mutation} calls until success per content, over ${sorted.length} contents: ${stats(sorted)}, max ${sorted.at(-1) ?? null}`,
    });
  }
  out.push({
    name: 'pipeline.setup.connect_accounts',
    value: setup.accountsConnected / setup.connectSeconds,
    unit: 'accounts/s',
    detail: `${setup.accountsConnected} X accounts registered in the simulator and connected through the gateway, 16 at a time; consumers caught up ${setup.drainSeconds.toFixed(1)} s after the last`,
  });
  const errs = throughputItems.filter((i) => i.error);
  if (errs.length) write(`  ${errs.length} throughput items failed, e.g. ${errs[0].error}\n`);
  write(`  throughput phase done: ${(published.length / seconds).toFixed(1)} contents/s\n`);
  return out;
}
