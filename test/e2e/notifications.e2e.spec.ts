// Notifications end to end: a department admin sets the department's contact addresses through
// the gateway; the platform revokes the department's Facebook token; when the publisher next
// tries to post, the account needs signing in again, and the department's contacts get one mail
// (Hindi first, then English) in the local Mailpit, and the department's people see it in their
// notification list, which another department's people do not.
import { randomUUID } from 'node:crypto';
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

const MAILPIT = readInfraEnv().MAILPIT_API_URL ?? 'http://127.0.0.1:18025';

async function mailsTo(address: string): Promise<{ ID: string; Subject: string; MessageID: string }[]> {
  const res = await fetch(`${MAILPIT}/api/v1/search?query=${encodeURIComponent(`to:"${address}"`)}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: { ID: string; Subject: string; MessageID: string }[] }).messages;
}

describe('notifications through the gateway, Kafka and Mailpit', () => {
  let stack: RunningStack;
  let sim: PlatformSim;
  const run = randomUUID().slice(0, 8);
  const code = `ntf-${run}`;
  const other = `ntf-other-${run}`;
  const departmentId = departmentIdOf(code);
  const contact = `jansampark-${run}@mp.example`;
  const tokens: Record<string, string> = {};
  let accountId = '';

  beforeAll(async () => {
    stack = await startStack({ ports: portsFor(31000) });
    sim = platformSim({ baseUrl: stack.urls['platform-sim'], adminToken: stackDefinitions.simAdminToken() });
    const itCell = await tokenFor({ subject: 'it-admin', roles: ['IT_CELL_ADMIN'] });
    tokens.admin = await tokenFor({ subject: `admin-${run}`, roles: ['DEPT_ADMIN'], department: code });
    tokens.editor = await tokenFor({ subject: `editor-${run}`, roles: ['DEPT_EDITOR'], department: code });
    tokens.approver = await tokenFor({
      subject: `approver-${run}`,
      roles: ['DEPT_APPROVER'],
      department: code,
    });
    tokens.other = await tokenFor({ subject: `admin-o-${run}`, roles: ['DEPT_ADMIN'], department: other });
    for (const [c, name, nameHi] of [
      [code, 'Public Relations', 'जनसंपर्क विभाग'],
      [other, 'Tourism', 'पर्यटन विभाग'],
    ]) {
      const dept = await gql(
        stack.gatewayUrl,
        'mutation($i: DepartmentInput!) { createDepartment(input: $i) { id } }',
        { i: { code: c, name, nameHi } },
        itCell,
      );
      expect(dept.errors).toBeUndefined();
    }
    const pageId = `2${Date.now().toString().slice(-9)}`;
    await sim.registerFacebookPage({ id: pageId, name: 'Jansampark MP', accessToken: `fb-${run}` });
    const connected = await gql<{ connectAccount: { id: string } }>(
      stack.gatewayUrl,
      `mutation($i: AccountInput!) { connectAccount(input: $i) { id status } }`,
      {
        i: {
          departmentId,
          platform: 'FACEBOOK',
          handle: `jansampark-${run}`,
          accessToken: `fb-${run}`,
          externalAccountId: pageId,
        },
      },
      tokens.admin,
    );
    expect(connected.errors).toBeUndefined();
    accountId = connected.data!.connectAccount.id;
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('mails the department’s contacts once when its account needs signing in again, and lists it for its people only', async () => {
    const set = await gql<{ setDepartmentContacts: { emails: string[] } }>(
      stack.gatewayUrl,
      'mutation($d: ID!, $e: [String!]!) { setDepartmentContacts(departmentId: $d, emails: $e) { emails department { id } } }',
      { d: departmentId, e: [contact] },
      tokens.admin,
    );
    expect(set.errors).toBeUndefined();
    expect(set.data?.setDepartmentContacts.emails).toEqual([contact]);

    await sim.revokeToken(`fb-${run}`);
    const id = await eventually(async () => {
      const res = await gql<{ createContent: { id: string } }>(
        stack.gatewayUrl,
        'mutation($d: ID!, $i: ContentInput!) { createContent(departmentId: $d, input: $i) { id } }',
        {
          d: departmentId,
          i: {
            kind: 'SUCCESS_STORY',
            title: 'Jal Jeevan Mission',
            body: [{ language: 'HI', text: `जल जीवन मिशन: हर घर नल से जल (${run})` }],
            targetAccountIds: [accountId],
          },
        },
        tokens.editor,
      );
      expect(res.errors).toBeUndefined(); // until intake has seen AccountConnected
      return res.data!.createContent.id;
    }, 30_000);
    const submitted = await gql(
      stack.gatewayUrl,
      'mutation($id: ID!) { submitContent(id: $id) { status } }',
      { id },
      tokens.editor,
    );
    expect(submitted.errors).toBeUndefined();
    await eventually(async () => {
      const res = await gql<{ decide: { state: string } }>(
        stack.gatewayUrl,
        'mutation($c: ID!) { decide(contentId: $c, decision: APPROVE) { state } }',
        { c: id },
        tokens.approver,
      );
      expect(res.data?.decide.state).toBe('APPROVED');
    }, 30_000);
    await eventually(async () => {
      const res = await gql(
        stack.gatewayUrl,
        'mutation($c: ID!) { schedule(input: { contentId: $c, nextFreeSlot: true }) { state } }',
        { c: id },
        tokens.editor,
      );
      expect(res.errors).toBeUndefined(); // until the scheduler has seen ContentApproved
    }, 30_000);

    const mail = await eventually(async () => {
      const mails = await mailsTo(contact);
      expect(mails).toHaveLength(1);
      return mails[0];
    }, 90_000);
    expect(mail.Subject).toBe(
      `खाते में फिर से लॉग-इन आवश्यक: फ़ेसबुक jansampark-${run} / Account needs signing in again: FACEBOOK jansampark-${run}`,
    );

    const list = `{ notifications(first: 20) { unreadCount edges { node { id kind department { id } subjectEn } } } }`;
    type List = {
      notifications: { unreadCount: number; edges: { node: { kind: string; department: { id: string } } }[] };
    };
    const mine = await gql<List>(stack.gatewayUrl, list, {}, tokens.editor);
    expect(mine.errors).toBeUndefined();
    expect(mine.data?.notifications.edges.map((e) => e.node.kind)).toEqual(['ACCOUNT_NEEDS_REAUTH']);
    expect(mine.data?.notifications.edges[0].node.department.id).toBe(departmentId);
    expect(mine.data?.notifications.unreadCount).toBe(1);
    const theirs = await gql<List>(stack.gatewayUrl, list, {}, tokens.other);
    expect(theirs.errors).toBeUndefined();
    expect(theirs.data?.notifications.edges).toEqual([]);

    // Still one mail a while later (the publisher's retries and the outbox's rounds add none).
    await new Promise((r) => setTimeout(r, 3000));
    expect(await mailsTo(contact)).toHaveLength(1);
  }, 240_000);
});
