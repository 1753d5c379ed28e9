// Idempotent connectAccount over HTTP with real tokens, against the real database: a repeat with
// the key answers the first account without touching its credentials or emitting a second event.
import { randomUUID } from 'node:crypto';
import { departmentIdOf } from '@prasar/auth';
import { asPlatform } from '@prasar/persistence';
import { gql, tokenFor, type GraphQLResponse } from '@prasar/testing';
import { numericId, startPublisher, unique, type PublisherHarness } from '../__fixtures__/harness';

const CONNECT = `mutation ($input: AccountInput!, $options: AccountOptionsInput, $key: String) {
  connectAccount(input: $input, options: $options, idempotencyKey: $key) { id handle status }
}`;

describe('idempotent connectAccount', () => {
  let h: PublisherHarness;
  const agri = unique('agri');
  const tokens: Record<string, string> = {};
  const input = (externalAccountId: string, accessToken = `x-at-${randomUUID()}`) => ({
    departmentId: departmentIdOf(agri),
    platform: 'X',
    handle: '@MPAgriculture',
    accessToken,
    externalAccountId,
  });
  const connect = (who: string, given: Record<string, unknown>, key: string | null) =>
    gql<{ connectAccount: { id: string } }>(h.url, CONNECT, { input: given, key }, tokens[who]);
  const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code;

  /** The accounts with that platform id, their credentials' versions and their AccountConnected events. */
  async function effectsOf(externalAccountId: string) {
    const rows = (await asPlatform(h.ds, (em) =>
      em.query(
        `SELECT a.id, c.version FROM social_accounts a JOIN account_credentials c ON c.account_id = a.id
          WHERE a.external_account_id = $1`,
        [externalAccountId],
      ),
    )) as { id: string; version: number }[];
    const events = (await h.outbox('AccountConnected')).filter(
      (e) => e.message.externalAccountId === externalAccountId,
    );
    return { accounts: rows, events: events.length };
  }

  beforeAll(async () => {
    h = await startPublisher('idempotency');
    tokens.admin = await tokenFor({ subject: `admin-${agri}`, roles: ['DEPT_ADMIN'], department: agri });
    tokens.otherAdmin = await tokenFor({
      subject: `admin2-${agri}`,
      roles: ['DEPT_ADMIN'],
      department: agri,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers a repeat with the first account: one row, credentials written once, one event', async () => {
    const given = input(numericId());
    const first = await connect('admin', given, 'connect-1');
    expect(first.errors).toBeUndefined();
    const again = await connect('admin', given, 'connect-1');
    expect(again).toEqual(first);
    expect(await effectsOf(given.externalAccountId)).toEqual({
      accounts: [{ id: first.data!.connectAccount.id, version: 1 }],
      events: 1,
    });
  });

  it('refuses the same key with another token as CONFLICT, leaving the credentials as they were', async () => {
    const given = input(numericId());
    await connect('admin', given, 'connect-2');
    const before = await effectsOf(given.externalAccountId);
    const res = await connect('admin', { ...given, accessToken: 'x-at-another-token' }, 'connect-2');
    expect(codeOf(res)).toBe('CONFLICT');
    expect(res.errors?.[0]?.message).toMatch(/already used for connectAccount with a different input/);
    expect(JSON.stringify(res)).not.toContain('x-at-another-token');
    expect(await effectsOf(given.externalAccountId)).toEqual(before);
  });

  it('connects once when repeats with one key race', async () => {
    const given = input(numericId());
    const results = await Promise.all(
      Array.from({ length: 5 }, () => connect('admin', given, 'connect-race')),
    );
    expect(results.map((r) => r.errors)).toEqual(Array(5).fill(undefined));
    const ids = new Set(results.map((r) => r.data?.connectAccount.id));
    expect(ids.size).toBe(1);
    expect(await effectsOf(given.externalAccountId)).toEqual({
      accounts: [{ id: [...ids][0], version: 1 }],
      events: 1,
    });
  });

  it("keeps keys per caller: another admin's same key is a reconnect of its own", async () => {
    const given = input(numericId());
    const mine = await connect('admin', given, 'connect-3');
    const theirs = await connect('otherAdmin', given, 'connect-3');
    expect(theirs.errors).toBeUndefined();
    // Same platform account, so the same SocialAccount, reconnected: credentials rewritten, a second event.
    expect(theirs.data?.connectAccount.id).toBe(mine.data?.connectAccount.id);
    expect(await effectsOf(given.externalAccountId)).toEqual({
      accounts: [{ id: mine.data!.connectAccount.id, version: 2 }],
      events: 2,
    });
  });

  it('refuses an invalid key with BAD_USER_INPUT and connects nothing', async () => {
    const given = input(numericId());
    const res = await connect('admin', given, 'bad\u0000key');
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(await effectsOf(given.externalAccountId)).toEqual({ accounts: [], events: 0 });
  });
});
