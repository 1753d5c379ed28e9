// Credentials at rest against the real database: only ciphertext is stored (no column of any table
// holds a token, nor does any event), and the key ring rotates without losing an account.
import { randomUUID } from 'node:crypto';
import { asCaller, asPlatform } from '@prasar/persistence';
import {
  connect,
  key,
  person,
  numericId,
  requestMessage,
  startPublisher,
  unique,
  type PublisherHarness,
} from '../__fixtures__/harness';
import { AccountCredential } from './account.entity';
import { CredentialResealer } from './credential-resealer';

describe('account credentials at rest', () => {
  let h: PublisherHarness;
  const department = unique('finance');
  const k1 = `k1:${key()}`;
  const k2 = `k2:${key()}`;

  beforeAll(async () => {
    h = await startPublisher('credentials', { keys: k1 });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function xAccount() {
    const id = numericId();
    const accessToken = `x-at-${randomUUID()}`;
    const refreshToken = `x-rt-${randomUUID()}`;
    const clientSecret = `x-cs-${randomUUID()}`;
    await h.sim.registerXAccount({
      id,
      username: 'MPFinance',
      accessToken,
      refreshToken,
      clientId: 'prasar-x-client',
    });
    const account = await connect(h, 'X', department, {
      externalAccountId: id,
      accessToken,
      refreshToken,
      clientId: 'prasar-x-client',
      clientSecret,
    });
    return { account, id, secrets: [accessToken, refreshToken, clientSecret] };
  }

  const keyIdOf = async (accountId: string) =>
    (await asPlatform(h.ds, (em) => em.findOneByOrFail(AccountCredential, { accountId }))).keyId;

  async function publishVia(account: Awaited<ReturnType<typeof xAccount>>['account']) {
    const r = requestMessage({ account });
    await h.request({ account, publicationId: r.publicationId });
    await h.worker.runOnce();
    return h.job(r.publicationId);
  }

  it('keeps only ciphertext: no column of any table, and no event, contains a token', async () => {
    const { account, secrets } = await xAccount();
    await publishVia(account);
    const admin = await h.adminClient();
    try {
      const { rows: tables } = await admin.query(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`,
      );
      expect(tables.map((t: { tablename: string }) => t.tablename)).toEqual(
        expect.arrayContaining([
          'account_credentials',
          'social_accounts',
          'prasar_outbox',
          'publish_attempts',
        ]),
      );
      for (const { tablename } of tables) {
        // Every row as text: bytea columns appear as hex, so look for the hex form too.
        const { rows } = await admin.query(`SELECT t::text AS row FROM ${tablename} t`);
        const dump = rows.map((r: { row: string }) => r.row).join('\n');
        for (const secret of secrets) {
          expect(dump).not.toContain(secret);
          expect(dump).not.toContain(Buffer.from(secret).toString('hex'));
        }
      }
      const { rows: stored } = await admin.query(
        `SELECT key_id, length(ciphertext) AS n FROM account_credentials WHERE account_id = $1`,
        [account.id],
      );
      expect(stored).toEqual([{ key_id: 'k1', n: expect.any(Number) }]);
    } finally {
      await admin.end();
    }
  });

  it('rotates keys: old ciphertext still opens, every write seals under the new key, and a retired key holds (never loses) what it sealed', async () => {
    const first = await xAccount();
    const second = await xAccount();
    expect([await keyIdOf(first.account.id), await keyIdOf(second.account.id)]).toEqual(['k1', 'k1']);

    await h.restart({ keys: `${k2},${k1}` });
    expect(await publishVia(first.account)).toMatchObject({ state: 'PUBLISHED' });
    // Reconnecting writes the credentials again: sealed under the current key.
    const fresh = `x-at-${randomUUID()}`;
    await h.sim.registerXAccount({ id: first.id, username: 'MPFinance', accessToken: fresh });
    await connect(h, 'X', department, { externalAccountId: first.id, accessToken: fresh });
    expect(await keyIdOf(first.account.id)).toBe('k2');
    expect(await keyIdOf(second.account.id)).toBe('k1');

    await h.restart({ keys: k2 });
    expect(await publishVia(first.account)).toMatchObject({ state: 'PUBLISHED' });
    // k1 is gone while the second account was never re-sealed: its post waits, it is not lost.
    const waiting = await publishVia(second.account);
    expect(waiting).toMatchObject({
      state: 'PENDING',
      attempts: 0,
      lastError: expect.stringMatching(/key "k1", which is not configured/),
    });
    expect(await h.sim.ledger({ platform: 'x', account: second.id })).toHaveLength(0);
  });

  it('re-seals what older keys sealed, so a key can be removed from the ring and nothing is lost', async () => {
    await h.restart({ keys: k1 });
    const first = await xAccount();
    const second = await xAccount();
    const versionsBefore = await asPlatform(h.ds, (em) =>
      em.find(AccountCredential, {
        where: [{ accountId: first.account.id }, { accountId: second.account.id }],
      }),
    );
    await h.restart({ keys: `${k2},${k1}` });
    expect(await h.app.get(CredentialResealer).runOnce()).toBeGreaterThanOrEqual(2);
    expect([await keyIdOf(first.account.id), await keyIdOf(second.account.id)]).toEqual(['k2', 'k2']);
    // The secrets did not change: their version (what refresh races compare) is the same.
    for (const before of versionsBefore) {
      const after = await asPlatform(h.ds, (em) =>
        em.findOneByOrFail(AccountCredential, { accountId: before.accountId }),
      );
      expect(after.version).toBe(before.version);
    }
    // k1 retired: both accounts still publish.
    await h.restart({ keys: k2 });
    expect(await publishVia(first.account)).toMatchObject({ state: 'PUBLISHED' });
    expect(await publishVia(second.account)).toMatchObject({ state: 'PUBLISHED' });
    expect(await h.sim.ledger({ platform: 'x', account: second.id })).toHaveLength(1);
  });

  it('keeps every tenant table behind row-level security: a department sees only its own rows', async () => {
    const admin = await h.adminClient();
    try {
      const { rows } = await admin.query(
        `SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class
         WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace
           AND relname NOT IN ('prasar_outbox', 'prasar_inbox', 'prasar_migrations') ORDER BY relname`,
      );
      expect(rows.length).toBeGreaterThanOrEqual(7);
      for (const r of rows) expect(r).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
    } finally {
      await admin.end();
    }
    const { account } = await xAccount();
    const other = person('DEPT_ADMIN', unique('other'));
    for (const table of ['social_accounts', 'account_credentials']) {
      const seen = await asCaller(h.ds, other, (em) => em.query(`SELECT count(*)::int AS n FROM ${table}`));
      expect(seen).toEqual([{ n: 0 }]);
      const own = await asCaller(h.ds, person('VIEWER', department), (em) =>
        em.query(`SELECT count(*)::int AS n FROM ${table} WHERE department_id = $1`, [account.departmentId]),
      );
      expect(own[0].n).toBeGreaterThan(0);
    }
  });

  it('refreshes a token pair once when several callers find it expired at the same moment', async () => {
    const { account } = await xAccount();
    const stale = (await asPlatform(h.ds, (em) => h.accounts.openSecrets(em, account.id)))!.secrets;
    let calls = 0;
    const refresher = async (current: typeof stale) => {
      calls += 1;
      // A refresh spends the refresh token: a second one with the same token would be refused.
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { kind: 'refreshed' as const, secrets: { ...current, accessToken: `fresh-${calls}` } };
    };
    const results = await Promise.all(
      [1, 2, 3].map(() => h.accounts.refreshSecrets(account, stale, refresher)),
    );
    expect(calls).toBe(1);
    expect(
      results.map((r) => (r.outcome.kind === 'refreshed' ? r.outcome.secrets.accessToken : r.outcome.kind)),
    ).toEqual(['fresh-1', 'fresh-1', 'fresh-1']);
    const stored = (await asPlatform(h.ds, (em) => h.accounts.openSecrets(em, account.id)))!.secrets;
    expect(stored.accessToken).toBe('fresh-1');
  });
});
