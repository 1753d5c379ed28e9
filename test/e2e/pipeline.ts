// Helpers for the suites that drive contents through the whole pipeline while services die
// (recovery.e2e.spec.ts, chaos.e2e.spec.ts): a department, accounts of its own on the simulator
// for each content (X paces an account to one post per 10 minutes), and the department's calls
// through the gateway, each retried until it has taken effect, the way a client that sees
// `UNAVAILABLE` or a dropped connection would retry it.
import { departmentIdOf } from '@prasar/auth';
import { eventually, gql, tokenFor, type PlatformSim, type RunningStack } from '@prasar/testing';

export interface Department {
  code: string;
  id: string;
  /** The IT cell's token (it connects the accounts: only it may point one at an API address). */
  itAdmin: string;
  admin: string;
  editor: string;
  approver: string;
}

/** One content's targets: an X account and a Facebook page of its own, on the simulator and connected. */
export interface Targets {
  /** Prasar's account ids. */
  accountIds: string[];
  /** The simulator's account ids (what its ledger is keyed by), by platform. */
  external: { X: string; FACEBOOK: string };
}

/** Calls `fn` until it returns, for at most `timeoutMs`; the last error if it never does. */
export const retrying = <T>(fn: () => Promise<T>, timeoutMs = 60_000, intervalMs = 250): Promise<T> =>
  eventually(fn, timeoutMs, intervalMs);

/** A GraphQL call that must answer without errors (a refused connection or an error throws). */
export async function call<T>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  token: string,
): Promise<T> {
  const res = await gql<T>(url, query, variables, token);
  if (res.errors?.length || !res.data)
    throw new Error(`${query.slice(0, 60)}…: ${JSON.stringify(res.errors ?? res)}`);
  return res.data;
}

export async function createDepartment(stack: RunningStack, code: string): Promise<Department> {
  const itAdmin = await tokenFor({ subject: 'e2e-it-admin', roles: ['IT_CELL_ADMIN'] });
  await call(
    stack.gatewayUrl,
    'mutation($i: DepartmentInput!, $k: String) { createDepartment(input: $i, idempotencyKey: $k) { id } }',
    { i: { code, name: 'Public Relations', nameHi: 'जनसंपर्क विभाग' }, k: `dept-${code}` },
    itAdmin,
  );
  const t = (subject: string, role: 'DEPT_ADMIN' | 'DEPT_EDITOR' | 'DEPT_APPROVER') =>
    tokenFor({ subject: `${subject}-${code}`, roles: [role], department: code });
  return {
    code,
    id: departmentIdOf(code),
    itAdmin,
    admin: await t('admin', 'DEPT_ADMIN'),
    editor: await t('editor', 'DEPT_EDITOR'),
    approver: await t('approver', 'DEPT_APPROVER'),
  };
}

/**
 * Registers an X account and a Facebook page on the simulator and connects both (retried, keyed),
 * pointed at this stack's simulator: every e2e stack on the machine shares the databases and the
 * consumer groups, so another stack's publisher may take the job, and must call the same simulator.
 */
export async function connectTargets(
  stack: RunningStack,
  sim: PlatformSim,
  dept: Department,
  key: string,
  serial: number,
): Promise<Targets> {
  const base = `${Date.now() % 1_000_000_000}${String(serial).padStart(4, '0')}`;
  const external = { X: `1${base}`, FACEBOOK: `2${base}` };
  await sim.registerXAccount({ id: external.X, username: `x_${key}`, accessToken: `x-${key}` });
  await sim.registerFacebookPage({ id: external.FACEBOOK, name: `Page ${key}`, accessToken: `fb-${key}` });
  const connect = (platform: 'X' | 'FACEBOOK', accessToken: string) =>
    retrying(async () => {
      const res = await call<{ connectAccount: { id: string } }>(
        stack.gatewayUrl,
        `mutation($i: AccountInput!, $o: AccountOptionsInput, $k: String) {
           connectAccount(input: $i, options: $o, idempotencyKey: $k) { id }
         }`,
        {
          i: {
            departmentId: dept.id,
            platform,
            handle: `${platform.toLowerCase()}_${key}`,
            accessToken,
            externalAccountId: external[platform],
          },
          o: { apiBaseUrl: stack.urls['platform-sim'] },
          k: `connect-${platform}-${key}`,
        },
        dept.itAdmin,
      );
      return res.connectAccount.id;
    });
  return { accountIds: [await connect('X', `x-${key}`), await connect('FACEBOOK', `fb-${key}`)], external };
}

const STATUS = 'query($id: ID!) { content(id: $id) { status } }';

/** The content's status through the gateway (as the department reads it), or null if unreadable now. */
export async function statusOf(stack: RunningStack, dept: Department, id: string): Promise<string | null> {
  const res = await gql<{ content: { status: string } | null }>(
    stack.gatewayUrl,
    STATUS,
    { id },
    dept.editor,
  ).catch(() => null);
  return res?.data?.content?.status ?? null;
}

const APPROVED_OR_LATER = [
  'APPROVED',
  'SCHEDULED',
  'PUBLISHING',
  'PUBLISHED',
  'PARTIALLY_PUBLISHED',
  'FAILED',
];

/**
 * A content created, submitted, approved and scheduled at the next free slot, every call retried
 * until it has taken effect (a call whose answer was lost to a killed service may have taken
 * effect: the content's status, or the idempotency key, says so). Returns the content's id.
 */
export async function publishContent(
  stack: RunningStack,
  dept: Department,
  targets: Targets,
  text: string,
  key: string,
  timeoutMs = 90_000,
): Promise<string> {
  const url = stack.gatewayUrl;
  const id = await retrying(async () => {
    const res = await call<{ createContent: { id: string } }>(
      url,
      `mutation($d: ID!, $i: ContentInput!, $k: String) {
         createContent(departmentId: $d, input: $i, idempotencyKey: $k) { id }
       }`,
      {
        d: dept.id,
        i: {
          kind: 'SCHEME',
          title: `Kisan Kalyan ${key}`,
          body: [{ language: 'HI', text }],
          hashtags: ['MPKisan'],
          targetAccountIds: targets.accountIds,
        },
        k: `create-${key}`,
      },
      dept.editor,
    );
    return res.createContent.id;
  }, timeoutMs);
  const step = async (done: (status: string | null) => boolean, mutate: () => Promise<unknown>) =>
    retrying(async () => {
      if (done(await statusOf(stack, dept, id))) return;
      await mutate();
    }, timeoutMs);
  await step(
    (s) => s !== null && s !== 'DRAFT',
    () => call(url, 'mutation($id: ID!) { submitContent(id: $id) { status } }', { id }, dept.editor),
  );
  await step(
    (s) => s !== null && APPROVED_OR_LATER.includes(s),
    () =>
      call(
        url,
        'mutation($c: ID!) { decide(contentId: $c, decision: APPROVE) { state } }',
        { c: id },
        dept.approver,
      ),
  );
  // Scheduled once the scheduler has publications for it (its status follows over Kafka).
  await retrying(async () => {
    const res = await gql<{ content: { publications: { state: string }[] } | null }>(
      url,
      'query($id: ID!) { content(id: $id) { publications { state } } }',
      { id },
      dept.editor,
    ).catch(() => null);
    if ((res?.data?.content?.publications.length ?? 0) > 0) return;
    await call(
      url,
      'mutation($c: ID!) { schedule(input: { contentId: $c, nextFreeSlot: true }) { state } }',
      { c: id },
      dept.editor,
    );
  }, timeoutMs);
  return id;
}
