// The IT cell verifies the audit trail over GraphQL (intake's own endpoint, real database): one
// content item's chain, a day's chains with their anchor digest, and that tampering and truncation
// both show.
import { gql, tokenFor } from '@prasar/testing';
import { toContentBody } from '../content/content.resolver';
import {
  contentInput,
  principal,
  startIntake,
  uniqueCode,
  type IntakeHarness,
} from '../testing/intake-harness';
import { AuditAnchorLogger } from './audit.resolver';
import { istDayOf } from './audit.service';

describe('audit chain verification', () => {
  let h: IntakeHarness;
  const code = uniqueCode('audit');
  let departmentId: string;
  const tokens: Record<string, string> = {};
  const day = istDayOf(new Date());

  beforeAll(async () => {
    h = await startIntake('audit_verify', { http: true });
    departmentId = await h.department(code);
    tokens.itCell = await tokenFor({ subject: 'it-admin', roles: ['IT_CELL_ADMIN'] }, h.env);
    tokens.deptAdmin = await tokenFor(
      { subject: `admin-${code}`, roles: ['DEPT_ADMIN'], department: code },
      h.env,
    );
  });

  afterAll(async () => {
    await h?.close();
  });

  const chain = async (contentId: string, token = tokens.itCell) =>
    gql<{
      verifyAuditChain: { intact: boolean; entries: number; brokenAt: string | null; head: string | null };
    }>(
      h.url!,
      'query($c: ID!) { verifyAuditChain(contentId: $c) { intact entries brokenAt head } }',
      { c: contentId },
      token,
    );
  const ofDay = async (token = tokens.itCell) =>
    gql<{
      verifyAuditDay: { chains: number; intact: boolean; broken: { contentId: string }[]; digest: string };
    }>(
      h.url!,
      'query($d: String!) { verifyAuditDay(day: $d) { chains intact broken { contentId brokenAt } digest } }',
      { d: day },
      token,
    );

  it('verifies a chain and a day, and shows entries cut off the end by the day anchor', async () => {
    const editor = principal('DEPT_EDITOR', code, `editor-${code}`);
    const content = await h.contents.create(
      editor,
      departmentId,
      toContentBody(contentInput({ targetAccountIds: [] })),
    );
    await h.contents.update(
      editor,
      content.id,
      1,
      toContentBody(contentInput({ title: 'Second version', targetAccountIds: [] })),
    );

    const whole = await chain(content.id);
    expect(whole.errors).toBeUndefined();
    expect(whole.data?.verifyAuditChain).toMatchObject({ intact: true, entries: 2, brokenAt: null });
    const before = await ofDay();
    expect(before.data?.verifyAuditDay).toMatchObject({ intact: true, broken: [] });
    expect(before.data?.verifyAuditDay.chains).toBeGreaterThanOrEqual(1);
    // The next day's anchor log line records this day's digest.
    const logged = await h.app.get(AuditAnchorLogger).logYesterday(new Date(Date.now() + 86_400_000));
    expect(logged).toBe(before.data?.verifyAuditDay.digest);

    // Cut the last entry off (a superuser with the append-only triggers off): the rest is still a
    // valid chain, but the day's digest no longer matches the anchor recorded outside it.
    const admin = await h.adminClient();
    try {
      await admin.query(`SET session_replication_role = replica`);
      await admin.query(
        `DELETE FROM audit_entries WHERE seq = (SELECT max(seq) FROM audit_entries WHERE content_id = $1)`,
        [content.id],
      );
    } finally {
      await admin.end();
    }
    expect((await chain(content.id)).data?.verifyAuditChain).toMatchObject({ intact: true, entries: 1 });
    const after = await ofDay();
    expect(after.data?.verifyAuditDay.digest).not.toBe(logged);

    // Rewrite the remaining entry: the chain itself breaks, and the day names it.
    const tamper = await h.adminClient();
    try {
      await tamper.query(`SET session_replication_role = replica`);
      await tamper.query(`UPDATE audit_entries SET actor = 'someone-else' WHERE content_id = $1`, [
        content.id,
      ]);
    } finally {
      await tamper.end();
    }
    expect((await chain(content.id)).data?.verifyAuditChain).toMatchObject({
      intact: false,
      brokenAt: expect.any(String),
    });
    const broken = await ofDay();
    expect(broken.data?.verifyAuditDay.intact).toBe(false);
    expect(broken.data?.verifyAuditDay.broken).toEqual([expect.objectContaining({ contentId: content.id })]);
  });

  it('is for the IT cell only, and refuses a bad day or an unknown content', async () => {
    const refused = await ofDay(tokens.deptAdmin);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const bad = await gql(h.url!, '{ verifyAuditDay(day: "yesterday") { digest } }', {}, tokens.itCell);
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const unknown = await chain('4f1d8a52-0f1e-4d7b-9a6c-2b3c4d5e6f70');
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
