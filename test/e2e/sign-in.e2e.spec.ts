// Sign-in against the real identity provider (the embedded Keycloak): officials through the login
// page (authorization code + PKCE), department systems through integration clients the IT cell
// manages with the API, and every kind of token the platform must refuse.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { departmentIdOf } from '@prasar/auth';
import {
  clientCredentials,
  gql,
  localDirectory,
  portsFor,
  readInfraEnv,
  signIn,
  startStack,
  tokenFor,
  type RunningStack,
} from '@prasar/testing';

const PORTS = portsFor(24000);
const ROOT = join(__dirname, '..', '..');

/** Runs a command from the repository's root, as a developer would, and collects its output. */
function runCommand(cmd: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
// The gateway keeps an introspection answer this long; a revocation takes effect after it.
const INTROSPECTION_CACHE_SECONDS = 1;

const CREDENTIALS = 'client { clientId name enabled department { code } } clientSecret tokenUrl';

interface Issued {
  client: { clientId: string; name: string; enabled: boolean; department: { code: string } };
  clientSecret: string;
  tokenUrl: string;
}

const achievement = (title: string) => ({
  kind: 'ACHIEVEMENT',
  title,
  body: [{ language: 'HI', text: `${title}: किसानों को समय पर भुगतान` }],
  targetAccountIds: [],
});

describe('sign-in: people and department systems through the identity provider', () => {
  const env = readInfraEnv();
  const run = randomUUID().slice(0, 8);
  const agri = `agri-${run}`;
  const health = `health-${run}`;
  const password = `Test-${randomUUID()}`;
  let stack: RunningStack;
  let itCell: string;
  let agriAdmin: string;
  let healthContentId: string;

  const call = (query: string, variables: Record<string, unknown>, token?: string) =>
    gql<Record<string, never>>(stack.gatewayUrl, query, variables, token);
  const codeOf = (res: { errors?: { extensions?: Record<string, unknown> }[] }) =>
    res.errors?.[0]?.extensions?.code;
  const waitForIntrospectionCache = () =>
    new Promise((r) => setTimeout(r, INTROSPECTION_CACHE_SECONDS * 1000 + 300));

  beforeAll(async () => {
    stack = await startStack({
      ports: PORTS,
      extraEnv: { AUTH_INTROSPECTION_CACHE_SECONDS: String(INTROSPECTION_CACHE_SECONDS) },
    });
    // The people exist at the provider, as the IT cell's Keycloak administrator would create them.
    const directory = localDirectory(env);
    await directory.ensurePerson({
      username: `itcell-${run}`,
      password,
      firstName: 'Meena',
      lastName: 'Sharma',
      roles: ['IT_CELL_ADMIN'],
    });
    await directory.ensurePerson({
      username: `${agri}.admin`,
      password,
      firstName: 'Ravi',
      lastName: 'Verma',
      roles: ['DEPT_ADMIN'],
      departmentCode: agri,
    });
    itCell = (await signIn(env, `itcell-${run}`, password)).access_token;
    agriAdmin = (await signIn(env, `${agri}.admin`, password)).access_token;
    for (const code of [agri, health]) {
      const res = await call(
        'mutation($i: DepartmentInput!) { createDepartment(input: $i) { id } }',
        { i: { code, name: `Department ${code}`, nameHi: 'कृषि विभाग' } },
        itCell,
      );
      expect(res.errors).toBeUndefined();
    }
    const healthEditor = await tokenFor({
      subject: `editor-${health}`,
      roles: ['DEPT_EDITOR'],
      department: health,
    });
    const created = await gql<{ createContent: { id: string } }>(
      stack.gatewayUrl,
      'mutation($d: ID!, $i: ContentInput!) { createContent(departmentId: $d, input: $i) { id } }',
      { d: departmentIdOf(health), i: achievement('स्वास्थ्य शिविर') },
      healthEditor,
    );
    expect(created.errors).toBeUndefined();
    healthContentId = created.data!.createContent.id;
  }, 120_000);

  afterAll(() => stack?.stop());

  it("signs an official in through the provider's login page, and the platform knows who they are", async () => {
    const res = await gql<{ viewer: { name: string; roles: string[]; department: { code: string } } }>(
      stack.gatewayUrl,
      '{ viewer { name roles department { code } } }',
      {},
      agriAdmin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.viewer).toEqual({
      name: 'Ravi Verma',
      roles: ['DEPT_ADMIN'],
      department: { code: agri },
    });
    await expect(signIn(env, `${agri}.admin`, 'wrong-password')).rejects.toThrow(/sign-in refused/);
  });

  describe('integration clients', () => {
    let issued: Issued;

    beforeAll(async () => {
      const res = await gql<{ createIntegrationClient: Issued }>(
        stack.gatewayUrl,
        `mutation($i: IntegrationClientInput!) { createIntegrationClient(input: $i) { ${CREDENTIALS} } }`,
        { i: { departmentId: departmentIdOf(agri), name: 'Kisan portal' } },
        itCell,
      );
      expect(res.errors).toBeUndefined();
      issued = res.data!.createIntegrationClient;
    });

    it('are created by the IT cell, with the secret shown once and the token endpoint to use', () => {
      expect(issued.client).toMatchObject({
        name: 'Kisan portal',
        enabled: true,
        department: { code: agri },
      });
      expect(issued.clientSecret.length).toBeGreaterThanOrEqual(20);
      expect(issued.tokenUrl).toBe(`${env.OIDC_ISSUER}/protocol/openid-connect/token`);
    });

    it("give a department system a token that reaches its own department's data and nothing of another's", async () => {
      const { token } = await clientCredentials(issued.tokenUrl, issued.client.clientId, issued.clientSecret);
      const viewer = await gql<{
        viewer: { roles: string[]; department: { code: string } };
        departments: { code: string }[];
      }>(stack.gatewayUrl, '{ viewer { roles department { code } } departments { code } }', {}, token);
      expect(viewer.errors).toBeUndefined();
      expect(viewer.data).toEqual({
        viewer: { roles: ['INTEGRATION'], department: { code: agri } },
        departments: [{ code: agri }],
      });
      const created = await gql<{ createContent: { id: string; department: { code: string } } }>(
        stack.gatewayUrl,
        'mutation($d: ID!, $i: ContentInput!) { createContent(departmentId: $d, input: $i) { id department { code } } }',
        { d: departmentIdOf(agri), i: achievement('फसल बीमा') },
        token,
      );
      expect(created.errors).toBeUndefined();
      expect(created.data?.createContent.department.code).toBe(agri);
      const other = await gql<{ content: unknown; department: unknown }>(
        stack.gatewayUrl,
        'query($c: ID!, $d: ID!) { content(id: $c) { id } department(id: $d) { id } }',
        { c: healthContentId, d: departmentIdOf(health) },
        token,
      );
      expect(other.data).toEqual({ content: null, department: null });
      const write = await call(
        'mutation($d: ID!, $i: ContentInput!) { createContent(departmentId: $d, input: $i) { id } }',
        { d: departmentIdOf(health), i: achievement('not ours') },
        token,
      );
      expect(codeOf(write)).toMatch(/NOT_FOUND|FORBIDDEN/);
    });

    it('are listed for the IT cell, per department and in all', async () => {
      const res = await gql<{ mine: { clientId: string }[]; all: { clientId: string }[] }>(
        stack.gatewayUrl,
        'query($d: ID) { mine: integrationClients(departmentId: $d) { clientId } all: integrationClients { clientId } }',
        { d: departmentIdOf(agri) },
        itCell,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data?.mine).toEqual([{ clientId: issued.client.clientId }]);
      expect(res.data?.all.map((c) => c.clientId)).toContain(issued.client.clientId);
    });

    it("cannot be created, listed, rotated or disabled by a department's own roles", async () => {
      const { token: system } = await clientCredentials(
        issued.tokenUrl,
        issued.client.clientId,
        issued.clientSecret,
      );
      for (const token of [agriAdmin, system]) {
        const attempts = [
          call('{ integrationClients { clientId } }', {}, token),
          call(
            'mutation($i: IntegrationClientInput!) { createIntegrationClient(input: $i) { clientSecret } }',
            { i: { departmentId: departmentIdOf(agri), name: 'Shadow system' } },
            token,
          ),
          call(
            'mutation($c: ID!) { rotateIntegrationClientSecret(clientId: $c) { clientSecret } }',
            { c: issued.client.clientId },
            token,
          ),
          call(
            'mutation($c: ID!) { disableIntegrationClient(clientId: $c) { enabled } }',
            { c: issued.client.clientId },
            token,
          ),
        ];
        for (const res of await Promise.all(attempts)) expect(codeOf(res)).toBe('FORBIDDEN');
      }
      const list = await gql<{ integrationClients: unknown[] }>(
        stack.gatewayUrl,
        'query($d: ID) { integrationClients(departmentId: $d) { clientId } }',
        { d: departmentIdOf(agri) },
        itCell,
      );
      expect(list.data?.integrationClients).toHaveLength(1);
    });

    it('refuses a wrong secret at the provider', async () => {
      const res = await clientCredentials(issued.tokenUrl, issued.client.clientId, 'not-the-secret');
      expect(res).toMatchObject({ status: 401, token: undefined });
    });

    it('rotation: the old secret gets no token and a token obtained with it is refused', async () => {
      const before = await clientCredentials(issued.tokenUrl, issued.client.clientId, issued.clientSecret);
      expect((await call('{ viewer { name } }', {}, before.token)).errors).toBeUndefined();
      const rotated = await gql<{ rotateIntegrationClientSecret: Issued }>(
        stack.gatewayUrl,
        `mutation($c: ID!) { rotateIntegrationClientSecret(clientId: $c) { ${CREDENTIALS} } }`,
        { c: issued.client.clientId },
        itCell,
      );
      expect(rotated.errors).toBeUndefined();
      const fresh = rotated.data!.rotateIntegrationClientSecret;
      expect(fresh.clientSecret).not.toBe(issued.clientSecret);
      expect(
        (await clientCredentials(issued.tokenUrl, issued.client.clientId, issued.clientSecret)).status,
      ).toBe(401);
      await waitForIntrospectionCache();
      const old = await call('{ viewer { name } }', {}, before.token);
      expect(codeOf(old)).toBe('UNAUTHENTICATED');
      expect(old.errors?.[0].message).toMatch(/revoked/);
      // Tokens issued from the second after the rotation on are good.
      await new Promise((r) => setTimeout(r, 1100));
      const now = await clientCredentials(issued.tokenUrl, issued.client.clientId, fresh.clientSecret);
      expect((await call('{ viewer { name } }', {}, now.token)).errors).toBeUndefined();
      issued = fresh;
    });

    it('disabling: no new token, the issued ones refused, nothing written; enabling lets it back in', async () => {
      const held = await clientCredentials(issued.tokenUrl, issued.client.clientId, issued.clientSecret);
      const disabled = await gql<{ disableIntegrationClient: { enabled: boolean } }>(
        stack.gatewayUrl,
        'mutation($c: ID!) { disableIntegrationClient(clientId: $c) { enabled } }',
        { c: issued.client.clientId },
        itCell,
      );
      expect(disabled.data?.disableIntegrationClient.enabled).toBe(false);
      const refusedAtProvider = await clientCredentials(
        issued.tokenUrl,
        issued.client.clientId,
        issued.clientSecret,
      );
      expect(refusedAtProvider.token).toBeUndefined();
      expect([400, 401]).toContain(refusedAtProvider.status);
      await waitForIntrospectionCache();
      const contentsBefore = await countContents(agri);
      const write = await call(
        'mutation($d: ID!, $i: ContentInput!) { createContent(departmentId: $d, input: $i) { id } }',
        { d: departmentIdOf(agri), i: achievement('after disabling') },
        held.token,
      );
      expect(codeOf(write)).toBe('UNAUTHENTICATED');
      expect(write.data ?? null).toBeNull();
      expect(await countContents(agri)).toBe(contentsBefore);

      const enabled = await gql<{ enableIntegrationClient: { enabled: boolean } }>(
        stack.gatewayUrl,
        'mutation($c: ID!) { enableIntegrationClient(clientId: $c) { enabled } }',
        { c: issued.client.clientId },
        itCell,
      );
      expect(enabled.data?.enableIntegrationClient.enabled).toBe(true);
      await new Promise((r) => setTimeout(r, 1100));
      const again = await clientCredentials(issued.tokenUrl, issued.client.clientId, issued.clientSecret);
      expect((await call('{ viewer { name } }', {}, again.token)).errors).toBeUndefined();
    });

    it('an unknown client id is NOT_FOUND and a bad name BAD_USER_INPUT, creating nothing', async () => {
      const missing = await call(
        'mutation($c: ID!) { rotateIntegrationClientSecret(clientId: $c) { clientSecret } }',
        { c: 'prasar-int-nowhere-0000' },
        itCell,
      );
      expect(codeOf(missing)).toBe('NOT_FOUND');
      const bad = await call(
        'mutation($i: IntegrationClientInput!) { createIntegrationClient(input: $i) { clientSecret } }',
        { i: { departmentId: departmentIdOf(agri), name: 'x' } },
        itCell,
      );
      expect(codeOf(bad)).toBe('BAD_USER_INPUT');
      const list = await gql<{ integrationClients: unknown[] }>(
        stack.gatewayUrl,
        'query($d: ID) { integrationClients(departmentId: $d) { clientId } }',
        { d: departmentIdOf(agri) },
        itCell,
      );
      expect(list.data?.integrationClients).toHaveLength(1);
    });
  });

  it('the typed client example of docs/integration.md runs as documented', async () => {
    const res = await gql<{ createIntegrationClient: Issued }>(
      stack.gatewayUrl,
      `mutation($i: IntegrationClientInput!) { createIntegrationClient(input: $i) { ${CREDENTIALS} } }`,
      { i: { departmentId: departmentIdOf(health), name: 'Health MIS' } },
      itCell,
    );
    expect(res.errors).toBeUndefined();
    const { client, clientSecret, tokenUrl } = res.data!.createIntegrationClient;
    const out = await runCommand(
      'node',
      ['scripts/run-ts.mjs', 'docs/examples/department-system/client.ts'],
      {
        PRASAR_GATEWAY_URL: stack.gatewayUrl,
        PRASAR_TOKEN_URL: tokenUrl,
        PRASAR_CLIENT_ID: client.clientId,
        PRASAR_CLIENT_SECRET: clientSecret,
      },
    );
    expect(out.code).toBe(0);
    const draft = /^draft (\S+) \(DRAFT\); the retry returned (\S+)$/m.exec(out.stdout);
    expect(out.stdout).toContain('(INTEGRATION) of कृषि विभाग');
    expect(draft?.[1]).toBe(draft?.[2]);
    // The draft is really there, once, in the health department, as its editor sees it.
    const editor = await tokenFor({
      subject: `editor-${health}`,
      roles: ['DEPT_EDITOR'],
      department: health,
    });
    const seen = await gql<{ contents: { edges: { node: { id: string; title: string } }[] } }>(
      stack.gatewayUrl,
      '{ contents(filter: { search: "Soil health cards" }, first: 10) { edges { node { id title } } } }',
      {},
      editor,
    );
    expect(seen.data?.contents.edges.map((e) => e.node.id)).toEqual([draft?.[1]]);
  });

  describe('tokens the platform refuses', () => {
    it('an ID token', async () => {
      const { id_token: idToken } = await signIn(env, `${agri}.admin`, password);
      expect(idToken).toBeDefined();
      const res = await call('{ viewer { name } }', {}, idToken);
      expect(codeOf(res)).toBe('UNAUTHENTICATED');
      expect(res.data ?? null).toBeNull();
    });

    it("a token of the same provider for another audience (the directory client's own)", async () => {
      const { token } = await clientCredentials(
        `${env.OIDC_ISSUER}/protocol/openid-connect/token`,
        env.OIDC_DIRECTORY_CLIENT_ID!,
        env.OIDC_DIRECTORY_CLIENT_SECRET!,
      );
      expect(token).toBeDefined();
      const res = await call('{ viewer { name } }', {}, token);
      expect(codeOf(res)).toBe('UNAUTHENTICATED');
      expect(res.errors?.[0].message).toMatch(/audience/);
    });

    it('an expired token, and one of an issuer nobody trusts', async () => {
      const expired = await tokenFor({ subject: 'x', roles: ['IT_CELL_ADMIN'], ttlSeconds: -60 });
      expect(codeOf(await call('{ viewer { name } }', {}, expired))).toBe('UNAUTHENTICATED');
      const [h, p, s] = itCell.split('.');
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
      const stranger = [
        h,
        Buffer.from(JSON.stringify({ ...payload, iss: 'https://evil.example' })).toString('base64url'),
        s,
      ].join('.');
      const res = await call('{ viewer { name } }', {}, stranger);
      expect(codeOf(res)).toBe('UNAUTHENTICATED');
      expect(res.errors?.[0].message).toMatch(/trusted identity provider/);
    });
  });

  /** How many contents a department has, read by its own editor. */
  async function countContents(code: string): Promise<number> {
    const editor = await tokenFor({ subject: `editor-${code}`, roles: ['DEPT_EDITOR'], department: code });
    const res = await gql<{ contents: { edges: unknown[] } }>(
      stack.gatewayUrl,
      '{ contents(first: 100) { edges { cursor } } }',
      {},
      editor,
    );
    if (res.errors) throw new Error(res.errors[0].message);
    return res.data!.contents.edges.length;
  }
});
