// Compliance rules end to end (issue 14): each rule through the real path, from the gateway through
// intake, approval, the scheduler and Kafka to the publisher and the platform simulator.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { departmentIdOf } from '@prasar/auth';
import {
  eventually,
  gql,
  platformSim,
  portsFor,
  readInfraEnv,
  startStack,
  tokenFor,
  type PlatformSim,
  type RunningStack,
} from '@prasar/testing';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const stackDefinitions = require('../../libs/testing/src/stack.cjs') as { simAdminToken: () => string };

const WIDE = ['PRESIDENT', 'PRIME_MINISTER', 'GOVERNOR', 'CHIEF_MINISTER'];

describe('compliance rules through the whole pipeline', () => {
  let stack: RunningStack;
  let sim: PlatformSim;
  const run = randomUUID().slice(0, 8);
  const code = `cmp-${run}`;
  const departmentId = departmentIdOf(code);
  const tokens: Record<string, string> = {};
  // One X account per test: the account's pacing (minimum gap) would put a second post later.
  const xAccounts: string[] = [];
  /** The simulator's ids of those accounts. */
  const xExternal: string[] = [];
  let policyBefore: { adPhotoAllowList: string[]; allowDepartmentMinister: boolean } | undefined;

  const call = async <T>(query: string, variables: Record<string, unknown>, token: string): Promise<T> => {
    const res = await gql<T>(stack.gatewayUrl, query, variables, token);
    expect(res.errors).toBeUndefined();
    return res.data!;
  };

  const setPolicy = (roles: string[], allowDepartmentMinister: boolean) =>
    call<{ setAdvertisementAllowList: { adPhotoAllowList: string[] } }>(
      'mutation($r: [PersonRole!]!, $m: Boolean) { setAdvertisementAllowList(roles: $r, allowDepartmentMinister: $m) { adPhotoAllowList } }',
      { r: roles, m: allowDepartmentMinister },
      tokens.itCell,
    );

  /** Waits until the publisher's read model has the policy and ministers intake now has. */
  const publisherHasIntakePolicy = async () => {
    const env = readInfraEnv();
    const read = async (url: string) => {
      const db = new Client({ connectionString: url });
      await db.connect();
      try {
        await db.query("SELECT set_config('prasar.department_id', '*', false)");
        const policy = await db.query<{ revision: number }>(
          'SELECT revision FROM compliance_policy WHERE id = 1',
        );
        const ministers = await db.query<{ name: string }>(
          env.DATABASE_URLS.intake === url
            ? 'SELECT name FROM department_ministers WHERE department_id = $1 ORDER BY position'
            : 'SELECT unnest(names) AS name FROM department_ministers WHERE department_id = $1',
          [departmentId],
        );
        return { revision: policy.rows[0]?.revision ?? 0, ministers: ministers.rows.map((r) => r.name) };
      } finally {
        await db.end();
      }
    };
    const intake = await read(env.DATABASE_URLS.intake);
    await eventually(async () => expect(await read(env.DATABASE_URLS.publisher)).toEqual(intake), 30_000);
  };

  /** Creates content for one account, submits it and has every stage of its workflow approve it. */
  const approvedContent = async (
    account: string,
    kind: 'ADVERTISEMENT' | 'ACHIEVEMENT',
    people: { role: string; name: string }[] = [],
  ) => {
    const id = await eventually(async () => {
      const res = await gql<{ createContent: { id: string } }>(
        stack.gatewayUrl,
        'mutation($d: ID!, $i: ContentInput!) { createContent(departmentId: $d, input: $i) { id } }',
        {
          d: departmentId,
          i: {
            kind,
            title: `Kisan Samman Nidhi ${run}`,
            body: [
              {
                language: 'EN',
                text: `Kisan Samman Nidhi reaches farmers of every gram panchayat (${randomUUID()})`,
              },
            ],
            media: [
              {
                url: sim.mediaUrl(`kisan-${run}.jpg`),
                mimeType: 'image/jpeg',
                altText: 'A farmer receiving a certificate',
                people,
              },
            ],
            targetAccountIds: [account],
          },
        },
        tokens.editor,
      );
      expect(res.errors).toBeUndefined(); // until intake has seen the AccountConnected
      return res.data!.createContent.id;
    }, 30_000);
    await call('mutation($id: ID!) { submitContent(id: $id) { status } }', { id }, tokens.editor);
    // The stages: the department's approver, the minister's office when a minister is shown, the
    // IT cell for advertisements.
    const stages = [
      'approver',
      ...(people.some((p) => p.role === 'MINISTER') ? ['ministerOffice'] : []),
      ...(kind === 'ADVERTISEMENT' ? ['itCell'] : []),
    ];
    for (const approver of stages) {
      await eventually(async () => {
        const res = await gql<{ decide: { state: string } }>(
          stack.gatewayUrl,
          'mutation($c: ID!) { decide(contentId: $c, decision: APPROVE) { state } }',
          { c: id },
          tokens[approver],
        );
        expect(res.errors).toBeUndefined(); // until approval has opened the workflow
        expect(res.data?.decide.state).toBeDefined();
      }, 30_000);
    }
    await eventually(async () => {
      const res = await gql<{ content: { status: string } }>(
        stack.gatewayUrl,
        'query($id: ID!) { content(id: $id) { status } }',
        { id },
        tokens.editor,
      );
      expect(res.data?.content.status).toBe('APPROVED');
    }, 30_000);
    return id;
  };
  const approvedAdvert = (account: string, people: { role: string; name: string }[]) =>
    approvedContent(account, 'ADVERTISEMENT', people);

  const scheduleNow = (id: string) =>
    eventually(async () => {
      const res = await gql(
        stack.gatewayUrl,
        'mutation($c: ID!) { schedule(input: { contentId: $c, nextFreeSlot: true }) { state } }',
        { c: id },
        tokens.editor,
      );
      expect(res.errors).toBeUndefined(); // until the scheduler has seen ContentApproved
    }, 30_000);

  const publicationsOf = async (id: string) =>
    (
      await call<{
        content: { status: string; publications: { state: string; lastError: string | null }[] };
      }>(
        'query($id: ID!) { content(id: $id) { status publications { state lastError } } }',
        { id },
        tokens.editor,
      )
    ).content;

  beforeAll(async () => {
    stack = await startStack({ ports: portsFor(24000) });
    sim = platformSim({ baseUrl: stack.urls['platform-sim'], adminToken: stackDefinitions.simAdminToken() });
    tokens.itCell = await tokenFor({ subject: `it-${run}`, roles: ['IT_CELL_ADMIN'] });
    const inDept = (role: Parameters<typeof tokenFor>[0]['roles'][number], who: string) =>
      tokenFor({ subject: `${who}-${run}`, roles: [role], department: code });
    tokens.deptAdmin = await inDept('DEPT_ADMIN', 'admin');
    tokens.editor = await inDept('DEPT_EDITOR', 'editor');
    tokens.approver = await inDept('DEPT_APPROVER', 'approver');
    tokens.ministerOffice = await inDept('MINISTER_OFFICE', 'minister-office');
    policyBefore = (
      await call<{ compliancePolicy: { adPhotoAllowList: string[]; allowDepartmentMinister: boolean } }>(
        '{ compliancePolicy { adPhotoAllowList allowDepartmentMinister } }',
        {},
        tokens.itCell,
      )
    ).compliancePolicy;
    await call(
      'mutation($i: DepartmentInput!) { createDepartment(input: $i) { id } }',
      { i: { code, name: 'Farmer Welfare', nameHi: 'किसान कल्याण विभाग' } },
      tokens.itCell,
    );
    const n = Date.now().toString().slice(-8);
    for (const i of [1, 2, 3, 4, 5, 6]) {
      const external = `7${i}${n}`;
      await sim.registerXAccount({
        id: external,
        username: `mp_cmp${i}_${run}`,
        accessToken: `x${i}-${run}`,
        refreshToken: `xr${i}-${run}`,
      });
      const connected = await call<{ connectAccount: { id: string } }>(
        `mutation($i: AccountInput!, $o: AccountOptionsInput) { connectAccount(input: $i, options: $o) { id } }`,
        {
          i: {
            departmentId,
            platform: 'X',
            handle: `x${i}-${run}`,
            accessToken: `x${i}-${run}`,
            externalAccountId: external,
          },
          // The account's API is this stack's simulator, whichever publisher replica calls it.
          o: {
            refreshToken: `xr${i}-${run}`,
            clientId: 'prasar-x-client',
            apiBaseUrl: stack.urls['platform-sim'],
          },
        },
        tokens.itCell,
      );
      xAccounts.push(connected.connectAccount.id);
      xExternal.push(external);
    }
  }, 180_000);

  /** Windows this suite declared, ended afterwards so they hold nobody else's posts. */
  const windows: string[] = [];

  afterAll(async () => {
    for (const id of windows)
      await gql(
        stack.gatewayUrl,
        'mutation($id: ID!) { endBlackout(id: $id) { id } }',
        { id },
        tokens.itCell,
      );
    // The policy is the state's: leave it as it was found.
    if (policyBefore && tokens.itCell)
      await gql(
        stack.gatewayUrl,
        'mutation($r: [PersonRole!]!, $m: Boolean) { setAdvertisementAllowList(roles: $r, allowDepartmentMinister: $m) { adPhotoAllowList } }',
        { r: policyBefore.adPhotoAllowList, m: policyBefore.allowDepartmentMinister },
        tokens.itCell,
      );
    await stack?.stop();
  });

  describe('defect 1: the publish-time check uses the state policy as of publishing', () => {
    it("publishes an advertisement showing the department's own minister when the state allows it", async () => {
      await setPolicy(['PRIME_MINISTER', 'CHIEF_MINISTER'], true);
      await call(
        'mutation($d: ID!, $n: [String!]!) { setDepartmentMinisters(departmentId: $d, names: $n) { id } }',
        { d: departmentId, n: ['Aidal Singh Kansana', 'ऐदल सिंह कंषाना'] },
        tokens.itCell,
      );
      const id = await approvedAdvert(xAccounts[0], [{ role: 'MINISTER', name: 'Shri Aidal Singh Kansana' }]);
      await publisherHasIntakePolicy();
      await scheduleNow(id);
      const content = await eventually(async () => {
        const c = await publicationsOf(id);
        expect(c.publications.map((p) => p.state)).not.toContain('SCHEDULED');
        expect(c.publications.map((p) => p.state)).not.toContain('PUBLISHING');
        return c;
      }, 60_000);
      expect(content.publications).toEqual([{ state: 'PUBLISHED', lastError: null }]);
    }, 180_000);

    it('refuses at publish what a policy narrowed after approval no longer allows', async () => {
      await setPolicy(WIDE, false);
      const id = await approvedAdvert(xAccounts[1], [{ role: 'GOVERNOR', name: 'Mangubhai Patel' }]);
      // Narrowed after the approval, before publishing: the publisher must use the narrowed list.
      await setPolicy(['PRIME_MINISTER', 'CHIEF_MINISTER'], false);
      await publisherHasIntakePolicy();
      await scheduleNow(id);
      const content = await eventually(async () => {
        const c = await publicationsOf(id);
        expect(c.publications.map((p) => p.state)).toEqual(['FAILED']);
        return c;
      }, 60_000);
      expect(content.publications[0].lastError).toContain('ADVERTISEMENT_PHOTOGRAPH');
      expect(content.publications[0].lastError).toContain('Mangubhai Patel');
    }, 180_000);
  });

  describe('defect 2: blackout regions compare case-insensitively, "state" is state-wide', () => {
    /** A window far in the future (nobody else schedules there), and a post scheduled inside it. */
    const scheduledInWindow = async (account: string, regions: string[], year: number) => {
      const startsAt = new Date(Date.UTC(year, 0, 10, 0, 0));
      const declared = await call<{ declareBlackout: { id: string; regions: string[] } }>(
        'mutation($i: BlackoutInput!) { declareBlackout(input: $i) { id regions } }',
        {
          i: {
            regions,
            startsAt: startsAt.toISOString(),
            endsAt: new Date(startsAt.getTime() + 86_400_000).toISOString(),
            reason: `Model Code of Conduct, by-election (${run})`,
          },
        },
        tokens.itCell,
      );
      windows.push(declared.declareBlackout.id);
      const id = await approvedContent(account, 'ACHIEVEMENT');
      const at = new Date(startsAt.getTime() + 5 * 3_600_000).toISOString();
      const scheduled = await eventually(async () => {
        const res = await gql<{ schedule: { state: string; heldReason: string | null }[] }>(
          stack.gatewayUrl,
          'mutation($c: ID!, $at: DateTime) { schedule(input: { contentId: $c, at: $at }) { state heldReason } }',
          { c: id, at },
          tokens.editor,
        );
        expect(res.errors).toBeUndefined(); // until the scheduler has seen ContentApproved
        return res.data!.schedule;
      }, 30_000);
      return { window: declared.declareBlackout, scheduled };
    };

    it('holds a department serving "Bhopal" in a window declared for "Bhopal"', async () => {
      const regions = await call<{ setDepartmentRegions: string[] }>(
        'mutation($d: ID!, $r: [String!]!) { setDepartmentRegions(departmentId: $d, regions: $r) }',
        { d: departmentId, r: ['Bhopal', ' SEHORE '] },
        tokens.itCell,
      );
      expect(regions.setDepartmentRegions).toEqual(['bhopal', 'sehore']);
      const { window, scheduled } = await scheduledInWindow(xAccounts[2], ['Bhopal'], 2036);
      expect(scheduled).toEqual([{ state: 'HELD', heldReason: expect.stringContaining(run) }]);
      expect(window.regions).toEqual(['bhopal']); // normalised once, as stored and announced
    }, 180_000);

    it('holds every department in a window declared for "state"', async () => {
      const { window, scheduled } = await scheduledInWindow(xAccounts[3], ['state'], 2037);
      expect(window.regions).toEqual(['state']);
      expect(scheduled).toEqual([{ state: 'HELD', heldReason: expect.stringContaining(run) }]);
    }, 180_000);
  });

  describe('defect 3: released posts are re-slotted by the account pacing', () => {
    it('spreads the posts a window held by the gap when the window ends, instead of sending them at once', async () => {
      const region = `Vidisha ${run}`;
      await call(
        'mutation($d: ID!, $r: [String!]!) { setDepartmentRegions(departmentId: $d, regions: $r) }',
        { d: departmentId, r: [region] },
        tokens.itCell,
      );
      const declared = await call<{ declareBlackout: { id: string } }>(
        'mutation($i: BlackoutInput!) { declareBlackout(input: $i) { id } }',
        {
          i: {
            regions: [region.toUpperCase()],
            startsAt: new Date(Date.now() - 60_000).toISOString(),
            endsAt: new Date(Date.now() + 2 * 3_600_000).toISOString(),
            reason: `Model Code of Conduct, municipal election (${run})`,
          },
        },
        tokens.itCell,
      );
      windows.push(declared.declareBlackout.id);
      const account = xAccounts[4];
      const ids: string[] = [];
      const publicationIds: string[] = [];
      for (let i = 0; i < 3; i++) {
        const id = await approvedContent(account, 'ACHIEVEMENT');
        ids.push(id);
        const scheduled = await eventually(async () => {
          const res = await gql<{ schedule: { id: string; state: string }[] }>(
            stack.gatewayUrl,
            'mutation($c: ID!) { schedule(input: { contentId: $c, nextFreeSlot: true }) { id state } }',
            { c: id },
            tokens.editor,
          );
          expect(res.errors).toBeUndefined(); // until the scheduler has seen ContentApproved
          return res.data!.schedule;
        }, 30_000);
        expect(scheduled.map((p) => p.state)).toEqual(['HELD']);
        publicationIds.push(scheduled[0].id);
      }
      // The window has been in force for 40 minutes: every held post's own time has passed (the
      // X account's 10-minute gap put them at now, +10 and +20 minutes).
      const db = new Client({ connectionString: readInfraEnv().DATABASE_URLS.scheduler });
      await db.connect();
      try {
        await db.query("SELECT set_config('prasar.department_id', '*', false)");
        const shifted = await db.query(
          `UPDATE publications SET scheduled_at = scheduled_at - interval '40 minutes' WHERE id = ANY($1)`,
          [publicationIds],
        );
        expect(shifted.rowCount).toBe(3);
      } finally {
        await db.end();
      }
      await call(
        'mutation($id: ID!) { endBlackout(id: $id) { id } }',
        { id: declared.declareBlackout.id },
        tokens.itCell,
      );
      windows.splice(windows.indexOf(declared.declareBlackout.id), 1);

      const times = await eventually(async () => {
        const all: { state: string; scheduledAt: string }[] = [];
        for (const id of ids) {
          const res = await call<{ content: { publications: { state: string; scheduledAt: string }[] } }>(
            'query($id: ID!) { content(id: $id) { publications { state scheduledAt } } }',
            { id },
            tokens.editor,
          );
          all.push(...res.content.publications);
        }
        expect(all.map((p) => p.state)).not.toContain('HELD');
        return all.map((p) => new Date(p.scheduledAt).getTime()).sort((a, b) => a - b);
      }, 30_000);
      // One goes now; the others follow at the account's 10-minute gap, not at the same moment.
      expect(times).toHaveLength(3);
      expect(times[1] - times[0]).toBeGreaterThanOrEqual(10 * 60_000);
      expect(times[2] - times[1]).toBeGreaterThanOrEqual(10 * 60_000);
      expect(Math.abs(times[0] - Date.now())).toBeLessThan(5 * 60_000);
    }, 240_000);
  });

  describe('defect 4: the publisher does not publish inside a window what it was already handed', () => {
    it('holds a retrying post and one held for re-login while a window is in force, and publishes each once after it', async () => {
      const region = `Raisen ${run}`;
      await call(
        'mutation($d: ID!, $r: [String!]!) { setDepartmentRegions(departmentId: $d, regions: $r) }',
        { d: departmentId, r: [region] },
        tokens.itCell,
      );
      const stateOf = async (id: string) =>
        (
          await call<{
            content: { publications: { state: string; heldReason: string | null; attempts: number }[] };
          }>(
            'query($id: ID!) { content(id: $id) { publications { state heldReason attempts } } }',
            { id },
            tokens.editor,
          )
        ).content.publications[0];

      // A: X answers 503 for this account, so the publisher keeps retrying the post it was handed.
      const retryingAccount = xAccounts[5];
      await sim.injectFault({ kind: 'error', platform: 'x', account: xExternal[5], status: 503 });
      const retrying = await approvedContent(retryingAccount, 'ACHIEVEMENT');
      await scheduleNow(retrying);
      await eventually(async () => {
        expect(await stateOf(retrying)).toMatchObject({ state: 'PUBLISHING', attempts: expect.any(Number) });
        expect((await stateOf(retrying)).attempts).toBeGreaterThanOrEqual(1);
      }, 60_000);

      // B: an account whose token is revoked (no refresh token): its post is held for re-login.
      const n = Date.now().toString().slice(-8);
      const external = `79${n}`;
      await sim.registerXAccount({ id: external, username: `mp_cmp7_${run}`, accessToken: `x7-${run}` });
      const reloginAccount = (
        await call<{ connectAccount: { id: string } }>(
          'mutation($i: AccountInput!, $o: AccountOptionsInput) { connectAccount(input: $i, options: $o) { id } }',
          {
            i: {
              departmentId,
              platform: 'X',
              handle: `x7-${run}`,
              accessToken: `x7-${run}`,
              externalAccountId: external,
            },
            o: { apiBaseUrl: stack.urls['platform-sim'] },
          },
          tokens.itCell,
        )
      ).connectAccount.id;
      await sim.revokeToken(`x7-${run}`);
      const relogin = await approvedContent(reloginAccount, 'ACHIEVEMENT');
      await scheduleNow(relogin);
      await eventually(async () => expect((await stateOf(relogin)).state).toBe('HELD'), 60_000);

      // The window comes into force: both are held for it.
      const declared = await call<{ declareBlackout: { id: string } }>(
        'mutation($i: BlackoutInput!) { declareBlackout(input: $i) { id } }',
        {
          i: {
            regions: [region],
            startsAt: new Date(Date.now() - 60_000).toISOString(),
            endsAt: new Date(Date.now() + 2 * 3_600_000).toISOString(),
            reason: `Model Code of Conduct, panchayat election (${run})`,
          },
        },
        tokens.itCell,
      );
      windows.push(declared.declareBlackout.id);
      for (const id of [retrying, relogin])
        await eventually(async () => {
          expect(await stateOf(id)).toMatchObject({
            state: 'HELD',
            heldReason: expect.stringContaining(run),
          });
        }, 30_000);

      // Inside the window X recovers and the department reconnects B: still nothing is published.
      await sim.clearFaults();
      await sim.registerXAccount({ id: external, username: `mp_cmp7_${run}`, accessToken: `x7b-${run}` });
      await call(
        'mutation($i: AccountInput!, $o: AccountOptionsInput) { connectAccount(input: $i, options: $o) { id status } }',
        {
          i: {
            departmentId,
            platform: 'X',
            handle: `x7-${run}`,
            accessToken: `x7b-${run}`,
            externalAccountId: external,
          },
          o: { apiBaseUrl: stack.urls['platform-sim'] },
        },
        tokens.itCell,
      );
      await new Promise((resolve) => setTimeout(resolve, 15_000)); // past the publisher's next retries
      expect(await sim.ledger({ platform: 'x', account: xExternal[5] })).toHaveLength(0);
      expect(await sim.ledger({ platform: 'x', account: external })).toHaveLength(0);
      for (const id of [retrying, relogin]) expect((await stateOf(id)).state).toBe('HELD');

      // The window ends: each is published, once.
      await call(
        'mutation($id: ID!) { endBlackout(id: $id) { id } }',
        { id: declared.declareBlackout.id },
        tokens.itCell,
      );
      windows.splice(windows.indexOf(declared.declareBlackout.id), 1);
      for (const id of [retrying, relogin])
        await eventually(async () => expect((await stateOf(id)).state).toBe('PUBLISHED'), 60_000);
      await sim.settle();
      expect(await sim.ledger({ platform: 'x', account: xExternal[5] })).toHaveLength(1);
      expect(await sim.ledger({ platform: 'x', account: external })).toHaveLength(1);
    }, 300_000);
  });

  describe('defect 6: nobody who wrote any version may approve it', () => {
    it('refuses the approval of an approver who edited an intermediate version, through the gateway', async () => {
      // An approver who also edits (both roles): wrote version 2, neither created nor submitted it.
      const editingApprover = await tokenFor({
        subject: `editing-approver-${run}`,
        roles: ['DEPT_EDITOR', 'DEPT_APPROVER'],
        department: code,
      });
      const input = (text: string) => ({
        kind: 'SUCCESS_STORY',
        title: `Solar pumps ${run}`,
        body: [{ language: 'EN', text }],
        targetAccountIds: [xAccounts[0]],
      });
      const created = await eventually(async () => {
        const res = await gql<{ createContent: { id: string; version: number } }>(
          stack.gatewayUrl,
          'mutation($d: ID!, $i: ContentInput!) { createContent(departmentId: $d, input: $i) { id version } }',
          { d: departmentId, i: input(`Solar pumps for 1,200 farmers in Sehore (${randomUUID()})`) },
          tokens.editor,
        );
        expect(res.errors).toBeUndefined();
        return res.data!.createContent;
      }, 30_000);
      await call(
        'mutation($id: ID!, $v: Int!, $i: ContentInput!) { updateContent(id: $id, expectedVersion: $v, input: $i) { version } }',
        {
          id: created.id,
          v: created.version,
          i: input(`Solar pumps for 1,250 farmers in Sehore (${randomUUID()})`),
        },
        editingApprover,
      );
      await call(
        'mutation($id: ID!) { submitContent(id: $id) { status } }',
        { id: created.id },
        tokens.editor,
      );
      // Once approval has opened the workflow, the intermediate author is refused and changes nothing.
      const refused = await eventually(async () => {
        const res = await gql(
          stack.gatewayUrl,
          'mutation($c: ID!) { decide(contentId: $c, decision: APPROVE) { state } }',
          { c: created.id },
          editingApprover,
        );
        expect(res.errors?.[0]?.extensions?.code).not.toBe('CONFLICT'); // no pending approval yet
        expect(res.errors?.[0]?.extensions?.code).not.toBe('NOT_FOUND');
        return res;
      }, 30_000);
      expect(refused.data?.decide ?? null).toBeNull();
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      // It is not in their inbox either; another approver decides it.
      const inbox = await call<{ approvalInbox: { edges: { node: { id: string } }[] } }>(
        '{ approvalInbox(first: 50) { edges { node { id } } } }',
        {},
        editingApprover,
      );
      expect(inbox.approvalInbox.edges.map((e) => e.node.id)).not.toContain(created.id);
      const approved = await call<{ decide: { state: string } }>(
        'mutation($c: ID!) { decide(contentId: $c, decision: APPROVE) { state } }',
        { c: created.id },
        tokens.approver,
      );
      expect(approved.decide.state).toBe('APPROVED');
    }, 120_000);
  });

  describe('defect 7: the records export, through the gateway, safe for spreadsheets', () => {
    it('serves the export at /exports/records with the token checks, formulas neutralised, editors refused', async () => {
      const title = `=SUM(1+1) Kisan ${run}`;
      const contentId = await eventually(async () => {
        const res = await gql<{ createContent: { id: string } }>(
          stack.gatewayUrl,
          'mutation($d: ID!, $i: ContentInput!) { createContent(departmentId: $d, input: $i) { id } }',
          {
            d: departmentId,
            i: {
              kind: 'SUCCESS_STORY',
              title,
              body: [{ language: 'EN', text: `+91 farmers joined the scheme (${randomUUID()})` }],
              targetAccountIds: [xAccounts[0]],
            },
          },
          tokens.editor,
        );
        expect(res.errors).toBeUndefined();
        return res.data!.createContent.id;
      }, 30_000);
      const from = new Date(Date.now() - 3_600_000).toISOString();
      const to = new Date(Date.now() + 3_600_000).toISOString();
      const url = `${new URL(stack.gatewayUrl).origin}/exports/records?department=${departmentId}&from=${from}&to=${to}&format=csv`;

      expect((await fetch(url)).status).toBe(401);
      const editor = await fetch(url, { headers: { authorization: `Bearer ${tokens.editor}` } });
      expect(editor.status).toBe(403);
      expect(await editor.json()).toMatchObject({ code: 'FORBIDDEN' });

      const csv = await eventually(async () => {
        const res = await fetch(url, { headers: { authorization: `Bearer ${tokens.deptAdmin}` } });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/text\/csv/);
        const text = await res.text();
        expect(text).toContain(`SUM(1+1) Kisan ${run}`); // until analytics has read the ContentCreated
        return text;
      }, 30_000);
      const cells = csv.split('\r\n').flatMap((line) => line.split(','));
      expect(cells).toContain(`'${title}`);
      expect(cells.filter((c) => /^"?[=+\-@\t\r]/.test(c))).toEqual([]);

      // The content's audit entries are in the export with their place in the hash chain.
      const audit = await eventually(async () => {
        const res = await fetch(url.replace('format=csv', 'format=json'), {
          headers: { authorization: `Bearer ${tokens.deptAdmin}` },
        });
        const rows = (await res.json()) as Record<string, string | null>[];
        const entries = rows.filter((r) => r.record_type === 'audit' && r.content_id === contentId);
        expect(entries.length).toBeGreaterThanOrEqual(1);
        return entries;
      }, 30_000);
      expect(audit[0]).toMatchObject({
        audit_action: 'CREATED',
        prev_hash: '0'.repeat(64),
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        actor: `editor-${run}`,
      });
    }, 120_000);
  });

  describe('defect 5: a department that never published counts as missing', () => {
    it("lists a new department that has never published among the state overview's missing", async () => {
      const quiet = `quiet-${run}`;
      await call(
        'mutation($i: DepartmentInput!) { createDepartment(input: $i) { id } }',
        { i: { code: quiet, name: 'Quiet Department', nameHi: 'शांत विभाग' } },
        tokens.itCell,
      );
      const today = new Date(Date.now() + 330 * 60_000).toISOString().slice(0, 10);
      await eventually(async () => {
        const res = await call<{ stateOverview: { missingAchievement: { id: string }[] } }>(
          'query($d: String!) { stateOverview(date: $d) { missingAchievement { id } } }',
          { d: today },
          tokens.itCell,
        );
        expect(res.stateOverview.missingAchievement.map((d) => d.id)).toContain(departmentIdOf(quiet));
      }, 30_000);
    }, 60_000);
  });
});
