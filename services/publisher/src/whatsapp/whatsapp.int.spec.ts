// WhatsApp broadcasts against the simulator: opted-in subscribers only, opt-outs from a signed STOP
// webhook honoured before the next broadcast, the daily tier of unique recipients, and each
// recipient messaged at most once per publication.
import { createHmac, randomUUID } from 'node:crypto';
import { asPlatform } from '@prasar/persistence';
import {
  connect,
  numericId,
  person,
  requestMessage,
  startPublisher,
  unique,
  type PublisherHarness,
  later,
} from '../__fixtures__/harness';
import type { SocialAccount } from '../accounts/account.entity';
import { WhatsAppDelivery, WhatsAppSubscriber } from './whatsapp.entity';

describe('WhatsApp broadcasts', () => {
  let h: PublisherHarness;
  const department = unique('jansampark');
  const admin = () => person('DEPT_ADMIN', department);
  const phone = (n: number) => `9198260${String(n).padStart(5, '0')}`;

  beforeAll(async () => {
    h = await startPublisher('whatsapp');
  });
  afterAll(async () => {
    await h?.close();
  });

  async function number(tier = 250): Promise<{ account: SocialAccount; id: string }> {
    const id = numericId();
    const accessToken = `wa-${randomUUID()}`;
    await h.sim.registerWhatsAppNumber({
      id,
      displayPhoneNumber: '+91 755 255 0000',
      accessToken,
      tier,
      webhook: { url: h.webhookUrl, appSecret: h.appSecret },
    });
    await h.sim.registerTemplate(id, { name: 'jansampark_update', language: 'hi', body: 'जनसंपर्क: {{1}}' });
    const account = await connect(h, 'WHATSAPP', department, {
      externalAccountId: id,
      accessToken,
      whatsappTemplate: 'jansampark_update',
      whatsappTier: tier,
    });
    return { account, id };
  }

  const optIn = (account: SocialAccount, numbers: string[]) =>
    h.subscribers.recordOptIns(
      admin(),
      account.id,
      numbers.map((n) => ({
        phoneNumber: `+${n}`,
        optedInAt: new Date(Date.now() - 86_400_000),
        source: 'web-form',
        evidence: `form-${n}`,
      })),
    );

  /** Who the simulator really messaged with this publication's text. */
  async function recipientsOf(id: string, marker: string): Promise<string[]> {
    const ledger = await h.sim.ledger({ platform: 'whatsapp', account: id });
    return ledger
      .filter((e) => e.text.includes(marker))
      .map((e) => String(e.details.to))
      .sort();
  }

  async function broadcast(account: SocialAccount) {
    const marker = randomUUID().slice(0, 8);
    const r = requestMessage({ account });
    await h.request({ account, publicationId: r.publicationId, text: `नई योजना ${marker}` });
    await h.worker.runOnce();
    return { publicationId: r.publicationId, marker };
  }

  it('messages the opted-in subscribers only, once each, with the approved template', async () => {
    const { account, id } = await number();
    const subscribers = [phone(1), phone(2), phone(3)];
    expect(await optIn(account, subscribers)).toBe(3);
    const { publicationId, marker } = await broadcast(account);
    expect(await recipientsOf(id, marker)).toEqual(subscribers);
    expect(await h.job(publicationId)).toMatchObject({ state: 'PUBLISHED', recipients: 3, url: null });
    const ledger = await h.sim.ledger({ platform: 'whatsapp', account: id });
    expect(ledger[0]).toMatchObject({ details: { template: 'jansampark_update', language: 'hi' } });
    expect(ledger[0].text).toMatch(/^जनसंपर्क: नई योजना/);
    const [published] = (await h.outbox('PublicationPublished')).filter(
      (e) => e.message.publicationId === publicationId,
    );
    expect(published.message).toMatchObject({ recipients: 3, externalId: `wa-broadcast-${publicationId}` });
  });

  it('honours a signed STOP before the next broadcast, refuses a forged one, and takes a START as an opt-in', async () => {
    const { account, id } = await number();
    const [a, b, c, d] = [phone(11), phone(12), phone(13), phone(14)];
    await optIn(account, [a, b, c]);
    await h.sim.sendInbound(id, { from: b, text: 'STOP' });
    await h.sim.sendInbound(id, { from: d, text: 'START' });
    await h.sim.settle();

    // A webhook that is not signed with the app secret changes nothing.
    const forged = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          changes: [
            {
              field: 'messages',
              value: {
                metadata: { phone_number_id: id },
                messages: [{ from: c, id: 'wamid.x', type: 'text', text: { body: 'STOP' } }],
              },
            },
          ],
        },
      ],
    });
    for (const signature of [
      `sha256=${createHmac('sha256', 'not-the-secret').update(forged).digest('hex')}`,
      undefined,
    ]) {
      const res = await fetch(h.webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(signature ? { 'x-hub-signature-256': signature } : {}),
        },
        body: forged,
      });
      expect(res.status).toBe(401);
    }

    const rows = await asPlatform(h.ds, (em) =>
      em.find(WhatsAppSubscriber, { where: { accountId: account.id } }),
    );
    const byNumber = new Map(rows.map((r) => [r.waId, r]));
    expect(byNumber.get(b)).toMatchObject({
      optedOutAt: expect.any(Date),
      optOutEvidence: expect.stringMatching(/STOP/),
    });
    expect(byNumber.get(c)?.optedOutAt).toBeNull();
    expect(byNumber.get(d)).toMatchObject({
      optedOutAt: null,
      optInSource: 'whatsapp-message',
      optInEvidence: expect.stringMatching(/START/),
    });

    const { marker } = await broadcast(account);
    expect(await recipientsOf(id, marker)).toEqual([a, c, d].sort());
  });

  it('acts on a signed message once, and never on a replayed or stale one: a START captured before a STOP opts nobody back in', async () => {
    const { account, id } = await number();
    const person = phone(21);
    const nowSeconds = Math.floor(Date.now() / 1000);
    /** A delivery signed with the app secret, as Meta sends it (and as an attacker could capture it). */
    const signed = (messageId: string, text: string, sentAtSeconds: number) => {
      const body = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            changes: [
              {
                field: 'messages',
                value: {
                  metadata: { phone_number_id: id },
                  messages: [
                    {
                      from: person,
                      id: messageId,
                      timestamp: String(sentAtSeconds),
                      type: 'text',
                      text: { body: text },
                    },
                  ],
                },
              },
            ],
          },
        ],
      });
      return fetch(h.webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': `sha256=${createHmac('sha256', h.appSecret).update(body).digest('hex')}`,
        },
        body,
      });
    };
    const subscriber = async () =>
      asPlatform(h.ds, (em) => em.findOneBy(WhatsAppSubscriber, { accountId: account.id, waId: person }));

    const start = `wamid.start.${randomUUID()}`;
    expect((await signed(start, 'START', nowSeconds - 120)).status).toBe(200);
    expect((await subscriber())?.optedOutAt).toBeNull();
    expect((await signed(`wamid.stop.${randomUUID()}`, 'STOP', nowSeconds - 60)).status).toBe(200);
    const stopped = (await subscriber())?.optedOutAt;
    expect(stopped).toEqual(new Date((nowSeconds - 60) * 1000));

    // The captured START, sent again as it was: the same message id.
    expect((await signed(start, 'START', nowSeconds - 120)).status).toBe(200);
    // Another START written before the STOP, arriving only now.
    expect((await signed(`wamid.late.${randomUUID()}`, 'START', nowSeconds - 90)).status).toBe(200);
    // A START older than the window (a day).
    expect((await signed(`wamid.old.${randomUUID()}`, 'START', nowSeconds - 2 * 86_400)).status).toBe(200);
    expect((await subscriber())?.optedOutAt).toEqual(stopped);

    // A START the person really sends after the STOP opts them in again.
    expect((await signed(`wamid.again.${randomUUID()}`, 'START', nowSeconds)).status).toBe(200);
    expect((await subscriber())?.optedOutAt).toBeNull();
  });

  it('stops where the daily tier of unique recipients ends and defers the rest until the window has room', async () => {
    const { account, id } = await number(250);
    const everyone = Array.from({ length: 253 }, (_, i) => phone(1000 + i));
    await optIn(account, everyone);
    const first = await broadcast(account);
    expect(await recipientsOf(id, first.marker)).toHaveLength(250);
    const job = await h.job(first.publicationId);
    expect(job).toMatchObject({ state: 'PENDING', lastError: expect.stringMatching(/daily tier/) });
    expect(job.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    const deliveries = await asPlatform(h.ds, (em) =>
      em.find(WhatsAppDelivery, { where: { publicationId: first.publicationId } }),
    );
    expect(deliveries.filter((x) => x.state === 'SENT')).toHaveLength(250);
    expect(deliveries.filter((x) => x.state === 'PENDING')).toHaveLength(3);

    // A second broadcast the same day reaches the same 250 people (no new unique recipients).
    const second = await broadcast(account);
    const reached = await recipientsOf(id, second.marker);
    expect(reached).toEqual(await recipientsOf(id, first.marker));
    expect((await h.sim.whatsappNumber(id)).recentRecipients).toBe(250);
    // Nobody was ever refused for the tier: the publisher never asked beyond it.
    const ledger = await h.sim.ledger({ platform: 'whatsapp', account: id });
    expect(ledger).toHaveLength(500);
  });

  it('never messages a recipient twice for one publication, even when a send timed out after WhatsApp accepted it', async () => {
    const { account, id } = await number();
    const subscribers = [phone(21), phone(22), phone(23), phone(24), phone(25)];
    await optIn(account, subscribers);
    await h.sim.injectFault({
      kind: 'timeoutAfterCommit',
      operation: 'whatsapp.messages.send',
      account: id,
      count: 1,
    });
    const { publicationId, marker } = await broadcast(account);
    expect(await h.job(publicationId)).toMatchObject({ state: 'PENDING', reconcileFirst: true });
    await h.sim.settle();
    await h.worker.runOnce(later());
    const job = await h.job(publicationId);
    expect(await recipientsOf(id, marker)).toEqual(subscribers);
    // The timed-out message was confirmed by its delivery status: every recipient is counted.
    expect(job).toMatchObject({ state: 'PUBLISHED', recipients: 5 });
  });

  it('reports delivery and read statuses as the broadcast engagement', async () => {
    const { account } = await number();
    await optIn(account, [phone(31), phone(32)]);
    const { publicationId } = await broadcast(account);
    await h.sim.settle();
    expect(await h.engagement.pollOnce(new Date(Date.now() + 3_600_000))).toBeGreaterThanOrEqual(1);
    const [snapshot] = (await h.outbox('EngagementSnapshot')).filter(
      (e) => e.message.publicationId === publicationId,
    );
    expect(snapshot.message).toMatchObject({ reach: 2, impressions: 2 });
  });

  it("answers Meta's subscription handshake only with the verify token", async () => {
    const handshake = (token: string) =>
      fetch(`${h.webhookUrl}?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`);
    const ok = await handshake('verify-prasar');
    expect([ok.status, await ok.text()]).toEqual([200, '1158201444']);
    expect((await handshake('guess')).status).toBe(403);
  });
});
