// Publishing end to end: a department connects its X, Facebook, Instagram and WhatsApp accounts,
// content with an image (served by the simulator) passes approval, is scheduled and published to
// the simulator, exactly once each, the image with it wherever the platform takes images.
import { createHash, randomUUID } from 'node:crypto';
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
const stackDefinitions = require('../../libs/testing/src/stack.cjs') as {
  simAdminToken: () => string;
  publisherDevSecrets: (infra: unknown) => { WHATSAPP_APP_SECRET: string };
};

describe('publishing to all four platforms through the gateway', () => {
  let stack: RunningStack;
  let sim: PlatformSim;
  const run = randomUUID().slice(0, 8);
  const code = `pub-${run}`;
  const departmentId = departmentIdOf(code);
  const marker = `(${run})`;
  const tokens: Record<string, string> = {};
  const accounts: Record<string, string> = {};
  const ports = portsFor(29000);
  const subscribers = ['919826000001', '919826000002', '919826000003'];

  beforeAll(async () => {
    stack = await startStack({ ports });
    sim = platformSim({ baseUrl: stack.urls['platform-sim'], adminToken: stackDefinitions.simAdminToken() });
    const admin = await tokenFor({ subject: 'it-admin', roles: ['IT_CELL_ADMIN'] });
    tokens.deptAdmin = await tokenFor({ subject: `admin-${run}`, roles: ['DEPT_ADMIN'], department: code });
    tokens.editor = await tokenFor({ subject: `editor-${run}`, roles: ['DEPT_EDITOR'], department: code });
    tokens.approver = await tokenFor({
      subject: `approver-${run}`,
      roles: ['DEPT_APPROVER'],
      department: code,
    });
    const dept = await gql(
      stack.gatewayUrl,
      'mutation($i: DepartmentInput!) { createDepartment(input: $i) { id } }',
      { i: { code, name: 'Public Relations', nameHi: 'जनसंपर्क विभाग' } },
      admin,
    );
    expect(dept.errors).toBeUndefined();

    // The platforms' side: what the department has there, as the simulator knows it.
    const n = Date.now().toString().slice(-9);
    await sim.registerXAccount({
      id: `1${n}`,
      username: `mp_pr_${run}`,
      accessToken: `x-${run}`,
      refreshToken: `xr-${run}`,
    });
    await sim.registerFacebookPage({ id: `2${n}`, name: 'Jansampark MP', accessToken: `fb-${run}` });
    await sim.registerInstagramUser({ id: `3${n}`, username: `jansampark_${run}`, accessToken: `ig-${run}` });
    await sim.registerWhatsAppNumber({
      id: `4${n}`,
      displayPhoneNumber: '+91 755 255 0000',
      accessToken: `wa-${run}`,
      tier: 250,
      webhook: {
        url: `http://127.0.0.1:${ports.publisher}/webhooks/whatsapp`,
        appSecret: stackDefinitions.publisherDevSecrets(readInfraEnv()).WHATSAPP_APP_SECRET,
      },
    });
    await sim.registerTemplate(`4${n}`, { name: 'jansampark_update', language: 'hi', body: 'जनसंपर्क: {{1}}' });

    const connect = async (
      platform: string,
      externalAccountId: string,
      accessToken: string,
      options?: object,
    ) => {
      const res = await gql<{ connectAccount: { id: string; status: string } }>(
        stack.gatewayUrl,
        `mutation($i: AccountInput!, $o: AccountOptionsInput) {
           connectAccount(input: $i, options: $o) { id status platform handle department { code } }
         }`,
        {
          i: {
            departmentId,
            platform,
            handle: `${platform.toLowerCase()}-${run}`,
            accessToken,
            externalAccountId,
          },
          o: options,
        },
        tokens.deptAdmin,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data?.connectAccount.status).toBe('ACTIVE');
      accounts[platform] = res.data!.connectAccount.id;
    };
    await connect('X', `1${n}`, `x-${run}`, { refreshToken: `xr-${run}`, clientId: 'prasar-x-client' });
    await connect('FACEBOOK', `2${n}`, `fb-${run}`);
    await connect('INSTAGRAM', `3${n}`, `ig-${run}`);
    await connect('WHATSAPP', `4${n}`, `wa-${run}`, {
      whatsappTemplate: 'jansampark_update',
      whatsappTier: 250,
    });

    const optIns = await gql(
      stack.gatewayUrl,
      'mutation($a: ID!, $o: [WhatsAppOptInInput!]!) { recordWhatsAppOptIns(accountId: $a, optIns: $o) }',
      {
        a: accounts.WHATSAPP,
        o: subscribers.map((p, i) => ({
          phoneNumber: `+${p}`,
          optedInAt: new Date().toISOString(),
          source: 'missed-call',
          evidence: `call-${run}-${i}`,
        })),
      },
      tokens.deptAdmin,
    );
    expect(optIns.errors).toBeUndefined();
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('takes approved content to PUBLISHED on every platform, each post exactly once, with its image', async () => {
    const targets = ['X', 'FACEBOOK', 'INSTAGRAM', 'WHATSAPP'].map((p) => accounts[p]);
    const image = `ladli-behna-${run}.jpg`;
    const altText = 'Women receiving the Ladli Behna instalment at a camp in Sehore';
    const id = await eventually(async () => {
      const res = await gql<{ createContent: { id: string } }>(
        stack.gatewayUrl,
        'mutation($d: ID!, $i: ContentInput!) { createContent(departmentId: $d, input: $i) { id } }',
        {
          d: departmentId,
          i: {
            kind: 'ACHIEVEMENT',
            title: 'Ladli Behna: 1.29 crore sisters',
            body: [{ language: 'HI', text: `लाड़ली बहना योजना: 1.29 करोड़ बहनों के खातों में ₹1,250 ${marker}` }],
            hashtags: ['LadliBehna'],
            media: [
              {
                url: sim.mediaUrl(image),
                mimeType: 'image/jpeg',
                altText,
                people: [{ role: 'CHIEF_MINISTER', name: 'Chief Minister of Madhya Pradesh' }],
              },
            ],
            targetAccountIds: targets,
          },
        },
        tokens.editor,
      );
      expect(res.errors).toBeUndefined(); // until intake has seen every AccountConnected
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

    const scheduled = await eventually(async () => {
      const res = await gql<{ schedule: { state: string; platform: string }[] }>(
        stack.gatewayUrl,
        'mutation($c: ID!) { schedule(input: { contentId: $c, nextFreeSlot: true }) { state platform scheduledAt } }',
        { c: id },
        tokens.editor,
      );
      expect(res.errors).toBeUndefined(); // until the scheduler has seen ContentApproved
      return res.data!.schedule;
    }, 30_000);
    expect(scheduled.map((p) => p.state).sort()).toEqual([
      'SCHEDULED',
      'SCHEDULED',
      'SCHEDULED',
      'SCHEDULED',
    ]);

    const content = await eventually(async () => {
      const res = await gql<{
        content: {
          status: string;
          publications: { platform: string; state: string; externalId: string | null; url: string | null }[];
        };
      }>(
        stack.gatewayUrl,
        'query($id: ID!) { content(id: $id) { status publications { platform state externalId url attempts } } }',
        { id },
        tokens.editor,
      );
      expect(res.data?.content.status).toBe('PUBLISHED');
      return res.data!.content;
    }, 90_000);
    for (const p of content.publications) {
      expect(p).toMatchObject({ state: 'PUBLISHED', externalId: expect.any(String) });
    }

    // The platforms' ground truth: one post per account, one message per opted-in subscriber.
    await sim.settle();
    const ledger = (await sim.ledger()).filter((e) => JSON.stringify(e).includes(run));
    const byPlatform = (platform: string) => ledger.filter((e) => e.platform.toUpperCase() === platform);
    expect(byPlatform('X')).toHaveLength(1);
    expect(byPlatform('FACEBOOK')).toHaveLength(1);
    expect(byPlatform('INSTAGRAM')).toHaveLength(1);
    expect(byPlatform('WHATSAPP')).toHaveLength(subscribers.length);

    // The image, as each platform took it: X got its bytes (uploaded, with the alt text); Facebook
    // and Instagram fetched it from the simulator. WhatsApp templates carry the text only.
    const sha256 = createHash('sha256')
      .update(await sim.mediaBytes(image))
      .digest('hex');
    const [tweet] = byPlatform('X');
    expect(tweet.details.media).toEqual([
      expect.objectContaining({ category: 'tweet_image', contentType: 'image/jpeg', sha256, altText }),
    ]);
    const [photo] = byPlatform('FACEBOOK');
    expect(photo).toMatchObject({
      kind: 'page_photo',
      details: { imageUrl: sim.mediaUrl(image), media: { contentType: 'image/jpeg', sha256 }, altText },
    });
    const [igMedia] = byPlatform('INSTAGRAM');
    expect(igMedia.details).toMatchObject({
      mediaType: 'IMAGE',
      imageUrl: sim.mediaUrl(image),
      media: { contentType: 'image/jpeg', sha256 },
    });
  }, 240_000);
});
