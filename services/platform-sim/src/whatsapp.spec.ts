// WhatsApp Cloud API: approved templates only, the daily recipient tier, opt-outs, signed webhooks.
import { verifyMetaSignature } from '@prasar/testing';
import { call, startReceiver, startSim, type RunningSim } from './__fixtures__/harness';

const PHONE = '106540352242922';
const TOKEN = 'wa-agri';
const APP_SECRET = 'meta-app-secret';

interface GraphError {
  error: { message: string; code: number; error_data?: { messaging_product: string; details: string } };
}

function templateMessage(to: string, name = 'scheme_update', params: string[] = ['PM-Kisan']) {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    type: 'template',
    template: {
      name,
      language: { code: 'hi' },
      components: [{ type: 'body', parameters: params.map((text) => ({ type: 'text', text })) }],
    },
  };
}

describe('WhatsApp Cloud API', () => {
  let sim: RunningSim;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const send = <T = Record<string, unknown>>(json: unknown) =>
    call<T>(sim.baseUrl, 'POST', `/v21.0/${PHONE}/messages`, { token: TOKEN, json });

  beforeEach(async () => {
    sim = await startSim();
    receiver = await startReceiver();
    await sim.control.registerWhatsAppNumber({
      id: PHONE,
      displayPhoneNumber: '+91 755 000 0000',
      wabaId: '102290129340398',
      accessToken: TOKEN,
      tier: 250,
      webhook: { url: receiver.url, appSecret: APP_SECRET },
    });
    await sim.control.registerTemplate(PHONE, {
      name: 'scheme_update',
      language: 'hi',
      body: 'नई योजना: {{1}}',
    });
  });
  afterEach(async () => {
    await sim.close();
    await receiver.close();
  });

  it("accepts an approved template message in the Cloud API's shape and records it", async () => {
    const sent = await send<{ messaging_product: string; contacts: unknown[]; messages: { id: string }[] }>(
      templateMessage('+91 98260 00001'),
    );
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({
      messaging_product: 'whatsapp',
      contacts: [{ input: '+91 98260 00001', wa_id: '919826000001' }],
      messages: [{ id: expect.stringMatching(/^wamid\./), message_status: 'accepted' }],
    });
    const [entry] = await sim.control.ledger({ platform: 'whatsapp', account: PHONE });
    expect(entry).toMatchObject({
      kind: 'wa_message',
      id: sent.body.messages[0].id,
      text: 'नई योजना: PM-Kisan',
      details: { to: '919826000001', template: 'scheme_update', language: 'hi', status: 'read' },
    });
  });

  it('posts sent, delivered and read statuses to the webhook in order, signed with X-Hub-Signature-256', async () => {
    const sent = await send<{ messages: { id: string }[] }>(templateMessage('919826000002'));
    await sim.control.settle();
    expect(receiver.received).toHaveLength(3);
    for (const hook of receiver.received) {
      expect(verifyMetaSignature(hook.body, hook.signature, APP_SECRET)).toBe(true);
      expect(verifyMetaSignature(hook.body, hook.signature, 'another-secret')).toBe(false);
    }
    const statuses = receiver.received.map((h) => {
      const change = (h.json as WebhookBody).entry[0].changes[0];
      expect(change.field).toBe('messages');
      expect(change.value.metadata).toEqual({
        display_phone_number: '+91 755 000 0000',
        phone_number_id: PHONE,
      });
      return change.value.statuses![0];
    });
    expect(receiver.received[0].json).toMatchObject({
      object: 'whatsapp_business_account',
      entry: [{ id: '102290129340398' }],
    });
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    expect(statuses[0]).toMatchObject({
      id: sent.body.messages[0].id,
      recipient_id: '919826000002',
      timestamp: String(Date.parse('2026-01-05T04:30:00Z') / 1000),
    });
    const deliveries = await sim.control.webhookDeliveries();
    expect(deliveries.map((d) => [d.event, d.status])).toEqual([
      ['statuses:sent', 200],
      ['statuses:delivered', 200],
      ['statuses:read', 200],
    ]);
  });

  it('refuses a template that is not approved for the number (132001) or has the wrong parameters (132000)', async () => {
    const unknown = await send<GraphError>(templateMessage('919826000003', 'not_registered'));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({
      code: 132001,
      error_data: { messaging_product: 'whatsapp', details: expect.stringContaining('not_registered') },
    });
    await sim.control.registerTemplate(PHONE, { name: 'pending_one', language: 'hi', status: 'PENDING' });
    expect((await send<GraphError>(templateMessage('919826000003', 'pending_one', []))).body.error.code).toBe(
      132001,
    );
    await sim.control.registerTemplate(PHONE, { name: 'paused_one', language: 'hi', status: 'PAUSED' });
    expect((await send<GraphError>(templateMessage('919826000003', 'paused_one', []))).body.error.code).toBe(
      132015,
    );
    const wrongParams = await send<GraphError>(templateMessage('919826000003', 'scheme_update', ['a', 'b']));
    expect(wrongParams.body.error.code).toBe(132000);
    expect(await sim.control.ledger({ platform: 'whatsapp' })).toEqual([]);
  });

  it('allows 250 unique recipients per rolling 24 hours on TIER_250, then refuses new ones (131048)', async () => {
    // The same number without a webhook: hundreds of status callbacks would only slow this test.
    await sim.control.registerWhatsAppNumber({
      id: PHONE,
      displayPhoneNumber: '+91 755 000 0000',
      accessToken: TOKEN,
    });
    await sim.control.registerTemplate(PHONE, {
      name: 'scheme_update',
      language: 'hi',
      body: 'नई योजना: {{1}}',
    });
    for (let i = 0; i < 250; i++) {
      const { status } = await send(templateMessage(`9198270${String(i).padStart(5, '0')}`));
      expect(status).toBe(200);
    }
    const over = await send<GraphError>(templateMessage('919828000000'));
    expect(over.status).toBe(400);
    expect(over.body.error).toMatchObject({
      code: 131048,
      error_data: { details: expect.stringContaining('TIER_250') },
    });
    // A recipient already messaged today is not a new one.
    expect((await send(templateMessage('919827000007', 'scheme_update', ['again']))).status).toBe(200);
    expect((await sim.control.whatsappNumber(PHONE)).recentRecipients).toBe(250);

    await sim.control.setTier(PHONE, 2000);
    expect((await send(templateMessage('919828000000'))).status).toBe(200);
    await sim.control.setTier(PHONE, 250);
    await sim.control.advanceClock(24 * 3600);
    expect((await send(templateMessage('919828000001'))).status).toBe(200);
    expect(await sim.control.ledger({ platform: 'whatsapp' })).toHaveLength(253);
  });

  it('refuses an opted-out recipient (131050) and does not message them', async () => {
    await sim.control.setSubscribers(PHONE, { waIds: ['+91 98260 00009'], optedIn: false });
    const refused = await send<GraphError>(templateMessage('919826000009'));
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe(131050);
    expect(await sim.control.ledger({ platform: 'whatsapp' })).toEqual([]);
    await sim.control.setSubscribers(PHONE, { waIds: ['919826000009'], optedIn: true });
    expect((await send(templateMessage('919826000009'))).status).toBe(200);
  });

  it('delivers an inbound STOP to the webhook as a message, and the sender is opted out from then on', async () => {
    const inbound = await sim.control.sendInbound(PHONE, {
      from: '919826000010',
      text: 'STOP',
      name: 'Ramesh',
    });
    expect(inbound).toMatchObject({ optedOut: true, delivered: true });
    await sim.control.settle();
    expect(receiver.received).toHaveLength(1);
    const hook = receiver.received[0];
    expect(verifyMetaSignature(hook.body, hook.signature, APP_SECRET)).toBe(true);
    const value = (hook.json as WebhookBody).entry[0].changes[0].value;
    expect(value.contacts).toEqual([{ profile: { name: 'Ramesh' }, wa_id: '919826000010' }]);
    expect(value.messages).toEqual([
      {
        from: '919826000010',
        id: inbound.id,
        timestamp: expect.any(String),
        type: 'text',
        text: { body: 'STOP' },
      },
    ]);
    expect((await send<GraphError>(templateMessage('919826000010'))).body.error.code).toBe(131050);

    const chat = await sim.control.sendInbound(PHONE, {
      from: '919826000011',
      text: 'stop sending me rain alerts?',
    });
    expect(chat.optedOut).toBe(false);
  });

  it('reports a recipient who is not on WhatsApp with a failed status (131026)', async () => {
    await sim.control.setSubscribers(PHONE, { waIds: ['919826000012'], onWhatsApp: false });
    expect((await send(templateMessage('919826000012'))).status).toBe(200);
    await sim.control.settle();
    const [status] = (receiver.received[0].json as WebhookBody).entry[0].changes[0].value.statuses!;
    expect(status).toMatchObject({ status: 'failed', errors: [{ code: 131026 }] });
  });

  it('answers a revoked token with 190 and reads the number with its tier', async () => {
    const number = await call(
      sim.baseUrl,
      'GET',
      `/v21.0/${PHONE}?fields=display_phone_number,messaging_limit_tier`,
      {
        token: TOKEN,
      },
    );
    expect(number.body).toEqual({
      id: PHONE,
      display_phone_number: '+91 755 000 0000',
      messaging_limit_tier: 'TIER_250',
    });
    await sim.control.revokeToken(TOKEN);
    const refused = await send<GraphError>(templateMessage('919826000013'));
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe(190);
  });
});

interface WebhookBody {
  entry: {
    id: string;
    changes: {
      field: string;
      value: {
        metadata: unknown;
        statuses?: { id: string; status: string; recipient_id: string; timestamp: string }[];
        contacts?: unknown[];
        messages?: unknown[];
      };
    }[];
  }[];
}
