// Exactly once under the faults the simulator injects: a reply lost after the post was made, a 429
// storm, a 5xx burst, an expired and a revoked token, and a worker that dies between the platform
// call and recording its outcome. The simulator's ledger is the ground truth.
import { randomUUID } from 'node:crypto';
import { AttemptOutcome } from '@prasar/contracts';
import { asPlatform } from '@prasar/persistence';
import { renderMetrics } from '@prasar/telemetry';
import { SocialAccount } from '../accounts/account.entity';
import {
  connect,
  numericId,
  requestMessage,
  startPublisher,
  unique,
  type PublisherHarness,
  later,
  outcomesOf as outcomesOfJob,
  settle as settleJob,
  simXAccount,
} from '../__fixtures__/harness';

describe('exactly once, whatever the platform does', () => {
  let h: PublisherHarness;
  const department = unique('health');
  const outcomesOf = (publicationId: string) => outcomesOfJob(h, publicationId);

  beforeAll(async () => {
    h = await startPublisher('exactly_once');
  });
  afterAll(async () => {
    await h?.close();
  });

  const xAccount = (extra: { refreshToken?: string } = {}) =>
    simXAccount(h, department, { username: 'MPHealth', ...extra });

  const settle = (publicationId: string, rounds?: number) => settleJob(h, publicationId, rounds);

  it('reconciles a post whose reply was lost after X made it, and does not post it again', async () => {
    const { account, id } = await xAccount();
    await h.sim.injectFault({
      kind: 'timeoutAfterCommit',
      operation: 'x.tweets.create',
      account: id,
      count: 1,
    });
    const r = requestMessage({ account });
    await h.request({ account, publicationId: r.publicationId });
    await h.worker.runOnce();
    expect(await h.job(r.publicationId)).toMatchObject({ state: 'PENDING', reconcileFirst: true });
    const job = await settle(r.publicationId);
    const ledger = await h.sim.ledger({ platform: 'x', account: id });
    expect(ledger).toHaveLength(1);
    expect(job).toMatchObject({ state: 'PUBLISHED', reconciled: true, externalId: ledger[0].id });
    expect(await outcomesOf(r.publicationId)).toEqual(['UNCERTAIN', 'PUBLISHED']);
    const [published] = (await h.outbox('PublicationPublished')).filter(
      (e) => e.message.publicationId === r.publicationId,
    );
    expect(published.message).toMatchObject({ reconciled: true, attempt: 2 });
  });

  it('reconciles a Facebook post whose reply came after the request timed out', async () => {
    const page = numericId();
    const accessToken = `fb-${randomUUID()}`;
    await h.sim.registerFacebookPage({ id: page, name: 'MP Health', accessToken });
    const account = await connect(h, 'FACEBOOK', department, { externalAccountId: page, accessToken });
    await h.sim.injectFault({
      kind: 'timeoutAfterCommit',
      mode: 'delay',
      delayMs: 20_000,
      operation: 'facebook.feed.create',
      account: page,
      count: 1,
    });
    const r = requestMessage({ account });
    await h.request({ account, publicationId: r.publicationId });
    await h.worker.runOnce();
    const [first] = await h.attempts(r.publicationId);
    expect(first).toMatchObject({ outcome: 'UNCERTAIN', error: expect.stringMatching(/no answer within/) });
    const job = await settle(r.publicationId);
    const ledger = await h.sim.ledger({ platform: 'facebook', account: page });
    expect(ledger).toHaveLength(1);
    expect(job).toMatchObject({ state: 'PUBLISHED', reconciled: true, externalId: ledger[0].id });
  });

  it('backs off through a 429 storm, honouring retry-after, and posts once', async () => {
    const { account, id } = await xAccount();
    await h.sim.injectFault({
      kind: 'rateLimit',
      operation: 'x.tweets.create',
      account: id,
      count: 3,
      retryAfterSeconds: 2,
    });
    const r = requestMessage({ account });
    await h.request({ account, publicationId: r.publicationId });
    const before = Date.now();
    await h.worker.runOnce();
    const waiting = await h.job(r.publicationId);
    expect(waiting.state).toBe('PENDING');
    expect(waiting.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(before + 2_000);
    const job = await settle(r.publicationId);
    expect(job).toMatchObject({ state: 'PUBLISHED', attempts: 4, reconciled: false });
    expect(await outcomesOf(r.publicationId)).toEqual([
      'RATE_LIMITED',
      'RATE_LIMITED',
      'RATE_LIMITED',
      'PUBLISHED',
    ]);
    expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(1);
    const attempted = (await h.outbox('PublishAttempted')).filter(
      (e) => e.message.publicationId === r.publicationId,
    );
    expect(attempted.map((e) => e.message.outcome)).toEqual([
      AttemptOutcome.RATE_LIMITED,
      AttemptOutcome.RATE_LIMITED,
      AttemptOutcome.RATE_LIMITED,
      AttemptOutcome.PUBLISHED,
    ]);
    expect(attempted[0].message.retryAfter).toMatchObject({ seconds: 2n });
    const metrics = await renderMetrics();
    expect(metrics).toMatch(
      /prasar_publish_outcomes_total\{[^}]*platform="X"[^}]*outcome="retried"[^}]*\} [1-9]/,
    );
    expect(metrics).toMatch(
      /prasar_publish_outcomes_total\{[^}]*platform="X"[^}]*outcome="published"[^}]*\} [1-9]/,
    );
    expect(metrics).toMatch(/prasar_publish_attempt_duration_seconds_count\{[^}]*platform="X"/);
  });

  it('retries through a burst of 5xx answers and posts once', async () => {
    const user = numericId();
    const accessToken = `ig-${randomUUID()}`;
    await h.sim.registerInstagramUser({ id: user, username: 'mphealth', accessToken });
    const account = await connect(h, 'INSTAGRAM', department, { externalAccountId: user, accessToken });
    await h.sim.injectFault({
      kind: 'error',
      status: 503,
      operation: 'instagram.media.publish',
      account: user,
      count: 2,
    });
    const r = requestMessage({ account });
    await h.request({
      account,
      publicationId: r.publicationId,
      media: [{ url: 'https://cdn.mp.gov.in/camp.jpg' }],
    });
    const job = await settle(r.publicationId);
    expect(job).toMatchObject({ state: 'PUBLISHED', attempts: 3 });
    expect(await outcomesOf(r.publicationId)).toEqual(['UNAVAILABLE', 'UNAVAILABLE', 'PUBLISHED']);
    expect(await h.sim.ledger({ platform: 'instagram', account: user })).toHaveLength(1);
  });

  it('never makes a second Instagram container for a publication whose publish call timed out', async () => {
    const user = numericId();
    const accessToken = `ig-${randomUUID()}`;
    await h.sim.registerInstagramUser({ id: user, username: 'mphealth2', accessToken });
    const account = await connect(h, 'INSTAGRAM', department, { externalAccountId: user, accessToken });
    await h.sim.injectFault({
      kind: 'timeoutAfterCommit',
      operation: 'instagram.media.publish',
      account: user,
      count: 1,
    });
    const r = requestMessage({ account });
    await h.request({
      account,
      publicationId: r.publicationId,
      media: [{ url: 'https://cdn.mp.gov.in/camp.jpg' }],
    });
    await h.worker.runOnce();
    const { igContainerId } = await h.job(r.publicationId);
    expect(igContainerId).toEqual(expect.any(String));
    // From now on, making a container fails: if the publisher tried, it could not publish.
    const guard = await h.sim.injectFault({
      kind: 'error',
      operation: 'instagram.media.create',
      account: user,
    });
    const job = await settle(r.publicationId);
    const ledger = await h.sim.ledger({ platform: 'instagram', account: user });
    expect(ledger).toHaveLength(1);
    expect(ledger[0].details.containerId).toBe(igContainerId);
    expect(job).toMatchObject({
      state: 'PUBLISHED',
      reconciled: true,
      externalId: ledger[0].id,
      igContainerId,
    });
    expect((await h.sim.faults()).find((f) => f.id === guard.id)?.fired).toBe(0);
    await h.sim.removeFault(guard.id);
  });

  it('refreshes an expired X token once, stores the new pair sealed, and posts', async () => {
    const { account, id, accessToken } = await xAccount({ refreshToken: `x-rt-${randomUUID()}` });
    await h.sim.expireToken(accessToken);
    const before = await asPlatform(h.ds, (em) =>
      em.query(`SELECT version, ciphertext FROM account_credentials WHERE account_id = $1`, [account.id]),
    );
    const r = requestMessage({ account });
    await h.request({ account, publicationId: r.publicationId });
    await h.worker.runOnce();
    expect(await h.job(r.publicationId)).toMatchObject({ state: 'PUBLISHED', attempts: 1 });
    expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(1);
    const opened = await asPlatform(h.ds, (em) => h.accounts.openSecrets(em, account.id));
    expect(opened!.version).toBe(before[0].version + 1);
    expect(opened!.secrets.accessToken).not.toBe(accessToken);
    expect(opened!.secrets.refreshToken).toMatch(/^x-rt-/);
  });

  it('holds the posts of a revoked account (NEEDS_REAUTH, nothing lost) and publishes them once when reconnected and asked again', async () => {
    const { account, id, accessToken } = await xAccount({ refreshToken: `x-rt-${randomUUID()}` });
    await h.sim.revokeToken(accessToken);
    const r = requestMessage({ account });
    await h.request({ account, publicationId: r.publicationId });
    await h.worker.runOnce();
    expect(await h.job(r.publicationId)).toMatchObject({ state: 'HELD', holdReason: 'ACCOUNT_NEEDS_REAUTH' });
    const stored = await asPlatform(h.ds, (em) => em.findOneByOrFail(SocialAccount, { id: account.id }));
    expect(stored).toMatchObject({
      status: 'NEEDS_REAUTH',
      statusReason: expect.stringMatching(/could not be refreshed/),
    });
    const [reauth] = (await h.outbox('AccountNeedsReauth')).filter((e) => e.message.accountId === account.id);
    expect(reauth.message).toMatchObject({ handle: account.handle, departmentId: account.departmentId });

    // A second post for the account while it needs reauth is held without calling X.
    const second = requestMessage({ account });
    await h.request({ account, publicationId: second.publicationId });
    await h.worker.runOnce(later());
    expect(await h.job(second.publicationId)).toMatchObject({ state: 'HELD', attempts: 0 });
    expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(0);

    // The department reconnects with a fresh token: both go out, once each.
    const fresh = `x-at-${randomUUID()}`;
    await h.sim.registerXAccount({ id, username: 'MPHealth', accessToken: fresh });
    const again = await connect(h, 'X', department, { externalAccountId: id, accessToken: fresh });
    expect(again).toMatchObject({ id: account.id, status: 'ACTIVE' });
    const [connected] = (await h.outbox('AccountConnected')).filter(
      (e) => e.message.accountId === account.id && e.message.reconnected === true,
    );
    expect(connected).toBeDefined();
    // Reconnecting alone sends nothing: the scheduler decides when a held post may go (pacing,
    // blackout windows).
    await h.worker.runOnce(later());
    expect(await h.job(r.publicationId)).toMatchObject({ state: 'HELD' });
    expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(0);
    // The scheduler releases its held publications and asks again: each goes out once.
    await h.request({ account, publicationId: r.publicationId, attempt: 2 });
    await h.request({ account, publicationId: second.publicationId, attempt: 2 });
    await h.worker.runOnce(later());
    expect(await h.job(r.publicationId)).toMatchObject({ state: 'PUBLISHED', requestedAttempt: 2 });
    expect(await h.job(second.publicationId)).toMatchObject({ state: 'PUBLISHED' });
    // A repeated request after that changes nothing.
    await h.request({ account, publicationId: r.publicationId, attempt: 3 });
    await h.worker.runOnce(later());
    expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(2);
  });

  it('reconciles a job a crashed worker left in flight, after a restart, without posting again', async () => {
    const { account, id } = await xAccount();
    const r = requestMessage({ account });
    await h.request({ account, publicationId: r.publicationId });
    h.crashAfterCall.add(r.publicationId);
    await h.worker.runOnce();
    expect(await h.job(r.publicationId)).toMatchObject({ state: 'IN_FLIGHT', attempts: 1 });
    expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(1);

    // A new process on the same database.
    await h.restart();
    // Nothing is claimed while the lease holds; once it has run out the job is reconciled.
    expect(await h.worker.runOnce()).toHaveLength(0);
    await h.worker.runOnce(later());
    const job = await h.job(r.publicationId);
    const ledger = await h.sim.ledger({ platform: 'x', account: id });
    expect(ledger).toHaveLength(1);
    expect(job).toMatchObject({
      state: 'PUBLISHED',
      reconciled: true,
      externalId: ledger[0].id,
      attempts: 2,
    });
    expect(await h.attempts(r.publicationId)).toMatchObject([
      { outcome: 'UNCERTAIN', error: expect.stringMatching(/lease expired/) },
      { outcome: 'PUBLISHED', reconcile: true },
    ]);
  });
});

describe('a live slow call keeps its claim', () => {
  let h: PublisherHarness;
  const department = unique('health');
  const LEASE_MS = 1_500;

  beforeAll(async () => {
    // A short lease and a call that takes more than twice as long (the simulator's added latency).
    h = await startPublisher('lease_renewal', {
      env: { PUBLISHER_LEASE_MS: String(LEASE_MS), PLATFORM_REQUEST_TIMEOUT_MS: '15000' },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is never taken over while it runs: the lease is renewed, and the post is made once', async () => {
    const { account, id } = await simXAccount(h, department, { username: 'MPHealth' });
    await h.sim.injectFault({
      kind: 'latency',
      latencyMs: 4 * LEASE_MS,
      operation: 'x.tweets.create',
      account: id,
      count: 1,
    });
    const r = requestMessage({ account });
    await h.request({ account, publicationId: r.publicationId });
    const started = Date.now();
    let running = true;
    const call = h.worker.runOnce().finally(() => {
      running = false;
    });
    // Another worker claims at real time over the whole call: the job is never due for it.
    const stolen: string[] = [];
    let rounds = 0;
    while (running) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (!running) break;
      rounds += 1;
      stolen.push(...(await h.jobs.claimDue(new Date())).map((c) => c.job.publicationId));
    }
    expect(await call).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThan(3 * LEASE_MS);
    expect(rounds).toBeGreaterThan(10);
    expect(stolen).toEqual([]);
    expect(await h.job(r.publicationId)).toMatchObject({
      state: 'PUBLISHED',
      attempts: 1,
      reconciled: false,
    });
    expect(await h.sim.ledger({ platform: 'x', account: id })).toHaveLength(1);
  });
});
