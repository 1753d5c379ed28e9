// connectAccount, SocialAccount and Department.accounts over HTTP, with real tokens: who may
// connect, what a department sees, and that a secret never comes back.
import { randomUUID } from 'node:crypto';
import { departmentIdOf, type Role } from '@prasar/auth';
import { gql, tokenFor } from '@prasar/testing';
import { numericId, startPublisher, unique, type PublisherHarness } from '../__fixtures__/harness';

const CONNECT = `mutation ($input: AccountInput!, $options: AccountOptionsInput) {
  connectAccount(input: $input, options: $options) { id platform handle status externalAccountId department { id } }
}`;

const ACCOUNTS_OF = `query ($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on Department { id accounts { id platform handle status } } }
}`;

const ACCOUNT = `query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on SocialAccount { id handle } } }`;

describe('accounts over GraphQL', () => {
  let h: PublisherHarness;
  const agri = unique('agri');
  const health = unique('health');
  const as = (roles: Role[], department?: string) =>
    tokenFor({ subject: `${roles.join('+')}-${department ?? 'state'}`, roles, department });
  const input = (department: string, overrides: Record<string, unknown> = {}) => ({
    departmentId: departmentIdOf(department),
    platform: 'X',
    handle: '@MPAgriculture',
    accessToken: `x-at-${randomUUID()}`,
    externalAccountId: numericId(),
    ...overrides,
  });

  beforeAll(async () => {
    h = await startPublisher('graphql');
  });
  afterAll(async () => {
    await h?.close();
  });

  it("lets the department's admin connect its account, which its department then lists", async () => {
    const given = input(agri);
    const res = await gql<{ connectAccount: Record<string, unknown> }>(
      h.url,
      CONNECT,
      { input: given, options: { refreshToken: 'x-rt-secret', clientId: 'prasar-x-client' } },
      await as(['DEPT_ADMIN'], agri),
    );
    expect(res.errors).toBeUndefined();
    const account = res.data!.connectAccount;
    expect(account).toEqual({
      id: expect.any(String),
      platform: 'X',
      handle: '@MPAgriculture',
      status: 'ACTIVE',
      externalAccountId: given.externalAccountId,
      department: { id: departmentIdOf(agri) },
    });
    expect(JSON.stringify(res)).not.toContain(given.accessToken);

    const reps = [{ __typename: 'Department', id: departmentIdOf(agri) }];
    const mine = await gql<{ _entities: { accounts: { id: string }[] }[] }>(
      h.url,
      ACCOUNTS_OF,
      { reps },
      await as(['VIEWER'], agri),
    );
    expect(mine.data!._entities[0].accounts.map((a) => a.id)).toEqual([account.id]);
    const theirs = await gql<{ _entities: { accounts: unknown[] }[] }>(
      h.url,
      ACCOUNTS_OF,
      { reps },
      await as(['VIEWER'], health),
    );
    expect(theirs.data!._entities[0].accounts).toEqual([]);
    const entity = await gql<{ _entities: unknown[] }>(
      h.url,
      ACCOUNT,
      { reps: [{ __typename: 'SocialAccount', id: account.id }] },
      await as(['DEPT_EDITOR'], health),
    );
    expect(entity.data!._entities).toEqual([null]);

    // Reconnecting the same platform account keeps its id; another department cannot take it.
    const again = await gql<{ connectAccount: { id: string } }>(
      h.url,
      CONNECT,
      { input: { ...given, accessToken: 'x-at-new' } },
      await as(['IT_CELL_ADMIN']),
    );
    expect(again.data!.connectAccount.id).toBe(account.id);
    const taken = await gql(
      h.url,
      CONNECT,
      { input: input(health, { externalAccountId: given.externalAccountId }) },
      await as(['DEPT_ADMIN'], health),
    );
    expect(taken.errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  it.each([
    ['an editor of the department', ['DEPT_EDITOR'] as Role[], 'own', 'FORBIDDEN'],
    ["another department's admin", ['DEPT_ADMIN'] as Role[], 'other', 'NOT_FOUND'],
  ])('refuses %s', async (_who, roles, whose, code) => {
    const token = await as(roles, whose === 'own' ? agri : health);
    const res = await gql(h.url, CONNECT, { input: input(agri) }, token);
    expect(res.errors?.[0].extensions?.code).toBe(code);
  });

  it('refuses bad input with violations, and an address override from anyone but the IT cell', async () => {
    const admin = await as(['DEPT_ADMIN'], agri);
    const bad = await gql(
      h.url,
      CONNECT,
      { input: input(agri, { platform: 'WHATSAPP', externalAccountId: 'phone-1' }) },
      admin,
    );
    expect(bad.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      violations: expect.arrayContaining([
        expect.objectContaining({ field: 'externalAccountId', rule: 'FORMAT' }),
        expect.objectContaining({ field: 'options.whatsappTemplate', rule: 'REQUIRED' }),
      ]),
    });
    const override = { apiBaseUrl: 'https://api.x.com' };
    const refused = await gql(h.url, CONNECT, { input: input(agri), options: override }, admin);
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const allowed = await gql(
      h.url,
      CONNECT,
      { input: input(agri), options: override },
      await as(['IT_CELL_ADMIN']),
    );
    expect(allowed.errors).toBeUndefined();
    // The account's tokens would go there: only the platforms' API hosts, over https, no credentials.
    for (const [apiBaseUrl, message] of [
      ['http://169.254.169.254/latest', /https only/],
      ['https://intake.prasar.svc.cluster.local', /Only a platform's API host/],
      ['http://api.x.com', /https only/],
      ['https://user:pw@api.x.com', /no credentials/],
      ['not a url', /An https URL/],
    ] as const) {
      const res = await gql(
        h.url,
        CONNECT,
        { input: input(agri), options: { apiBaseUrl } },
        await as(['IT_CELL_ADMIN']),
      );
      expect(res.errors?.[0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        violations: [
          expect.objectContaining({
            field: 'options.apiBaseUrl',
            rule: 'PLATFORM_HOST',
            message: expect.stringMatching(message),
          }),
        ],
      });
    }
  });

  it('records WhatsApp opt-ins with their evidence for the department', async () => {
    const connected = await gql<{ connectAccount: { id: string } }>(
      h.url,
      CONNECT,
      {
        input: input(agri, { platform: 'WHATSAPP' }),
        options: { whatsappTemplate: 'krishi_update', whatsappTier: 2000 },
      },
      await as(['DEPT_ADMIN'], agri),
    );
    const optIns = `mutation ($id: ID!, $optIns: [WhatsAppOptInInput!]!) { recordWhatsAppOptIns(accountId: $id, optIns: $optIns) }`;
    const res = await gql<{ recordWhatsAppOptIns: number }>(
      h.url,
      optIns,
      {
        id: connected.data!.connectAccount.id,
        optIns: [
          {
            phoneNumber: '+91 98260 11111',
            optedInAt: '2026-01-01T10:00:00+05:30',
            source: 'missed-call',
            evidence: 'call 8800',
          },
        ],
      },
      await as(['INTEGRATION'], agri),
    );
    expect(res.data?.recordWhatsAppOptIns).toBe(1);
    const other = await gql(
      h.url,
      optIns,
      { id: connected.data!.connectAccount.id, optIns: [] },
      await as(['DEPT_ADMIN'], health),
    );
    expect(other.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
