// WhatsApp Cloud API through the Graph API: approved template messages from a business phone
// number (POST /{phone-number-id}/messages), within its daily tier of unique recipients, never to a
// recipient who opted out; delivery statuses and inbound messages reach the business as signed
// webhooks in Meta's envelope.
import type { PlatformRoute, Sim } from './context';
import { requestedFields } from './facebook';
import { json, type Reply, type SimRequest } from './http';
import { graphAuthenticate, graphError, invalidParameter, unsupported } from './meta';
import type { MessageStatus, WebhookTarget, WhatsAppMessage, WhatsAppNumber } from './state';

const WINDOW_MS = 24 * 3600 * 1000;
/** A reply of just STOP (or UNSUBSCRIBE) opts the sender out of this number's messages. */
const OPT_OUT = /^\s*(stop|unsubscribe)\s*$/i;

const NUMBER_FIELDS = [
  'id',
  'display_phone_number',
  'verified_name',
  'quality_rating',
  'messaging_limit_tier',
  'code_verification_status',
  'platform_type',
];
const DEFAULT_NUMBER_FIELDS = ['id', 'display_phone_number', 'verified_name', 'quality_rating'];

/** The Graph name of a tier (`TIER_250`, `TIER_2K`, … `TIER_UNLIMITED`). */
export function tierName(tier: number | null): string {
  if (tier === null) return 'TIER_UNLIMITED';
  return tier >= 1000 && tier % 1000 === 0 ? `TIER_${tier / 1000}K` : `TIER_${tier}`;
}

/** A WhatsApp user id as the API reports it: the number's digits, no `+` or spaces. */
export function waIdOf(to: string): string {
  return to.replace(/\D/g, '');
}

function waError(status: number, code: number, title: string, details: string): Reply {
  return graphError(status, { message: `(#${code}) ${title}`, code, details });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Distinct `{{n}}` placeholders in a template body. */
function placeholders(body: string | undefined): number {
  return new Set([...(body ?? '').matchAll(/\{\{\s*(\d+)\s*\}\}/g)].map((m) => m[1])).size;
}

/** The body parameters a send supplies, as text. */
function bodyParameters(components: unknown): string[] {
  if (!Array.isArray(components)) return [];
  const body = components.find((c) => isObject(c) && String(c.type).toLowerCase() === 'body');
  const parameters = isObject(body) && Array.isArray(body.parameters) ? body.parameters : [];
  return parameters.map((p) => (isObject(p) ? String(p.text ?? p[String(p.type)] ?? '') : String(p)));
}

export function webhookTargetOf(sim: Sim, number: WhatsAppNumber): WebhookTarget | undefined {
  return number.webhook ?? sim.state.defaultWebhook;
}

function envelope(number: WhatsAppNumber, value: Record<string, unknown>) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: number.wabaId,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: number.displayPhoneNumber, phone_number_id: number.id },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

function nextMessageId(sim: Sim, number: WhatsAppNumber, to: string): string {
  return `wamid.${Buffer.from(`${number.id}:${to}:${sim.state.nextSequence()}`).toString('base64url')}`;
}

/** Delivers an inbound text from a user to the business's webhook; a STOP opts that user out. */
export function receiveInbound(
  sim: Sim,
  number: WhatsAppNumber,
  inbound: { from: string; text: string; name?: string },
): { id: string; optedOut: boolean; delivered: boolean } {
  const from = waIdOf(inbound.from);
  const id = nextMessageId(sim, number, from);
  const optedOut = OPT_OUT.test(inbound.text);
  if (optedOut) number.optedOut.add(from);
  const target = webhookTargetOf(sim, number);
  if (target)
    sim.webhooks.enqueue(
      target,
      'messages:text',
      envelope(number, {
        contacts: [{ profile: { name: inbound.name ?? from }, wa_id: from }],
        messages: [
          {
            from,
            id,
            timestamp: String(Math.floor(sim.clock.now() / 1000)),
            type: 'text',
            text: { body: inbound.text },
          },
        ],
      }),
    );
  return { id, optedOut, delivered: target !== undefined };
}

/** Routes a Graph request on a business phone number. */
export function whatsappRoute(
  sim: Sim,
  req: SimRequest,
  number: WhatsAppNumber,
  edge: string | undefined,
): PlatformRoute | Reply {
  const { state, clock } = sim;
  const route = (operation: string, execute: PlatformRoute['execute']): PlatformRoute => ({
    platform: 'whatsapp',
    operation,
    authenticate: (r) => graphAuthenticate(sim, r, 'whatsapp', number.id),
    execute,
    rateLimitOf: () => number.rateLimit,
  });

  /** Unique recipients messaged in the rolling 24 hours (the map is oldest first; expired ones go). */
  function recentRecipients(): Map<string, number> {
    const since = clock.now() - WINDOW_MS;
    for (const [waId, at] of number.recentRecipients) {
      if (at > since) break;
      number.recentRecipients.delete(waId);
    }
    return number.recentRecipients;
  }

  function reportStatuses(message: WhatsAppMessage, category: string): MessageStatus | 'failed' {
    const target = webhookTargetOf(sim, number);
    const failed = number.notOnWhatsApp.has(message.to);
    const timestamp = String(Math.floor(clock.now() / 1000));
    const pricing = { billable: !failed, pricing_model: 'PMP', category: category.toLowerCase() };
    const statuses = failed
      ? [
          {
            id: message.id,
            status: 'failed',
            timestamp,
            recipient_id: message.to,
            errors: [
              {
                code: 131026,
                title: 'Message undeliverable',
                message: 'Message undeliverable',
                error_data: { details: 'The recipient cannot receive this message (not a WhatsApp user).' },
              },
            ],
          },
        ]
      : number.statuses.map((status) => ({
          id: message.id,
          status,
          timestamp,
          recipient_id: message.to,
          pricing,
        }));
    if (target)
      for (const status of statuses)
        sim.webhooks.enqueue(target, `statuses:${status.status}`, envelope(number, { statuses: [status] }));
    return failed ? 'failed' : (number.statuses[number.statuses.length - 1] ?? 'sent');
  }

  function send(r: SimRequest): Reply {
    const body = isObject(r.json) ? r.json : r.params;
    if (body.messaging_product !== 'whatsapp')
      return invalidParameter('(#100) Invalid parameter', undefined, "messaging_product must be 'whatsapp'");
    const input = typeof body.to === 'string' ? body.to : '';
    const to = waIdOf(input);
    if (to.length < 8 || to.length > 15)
      return waError(400, 131009, 'Parameter value is not valid', `'${input}' is not a valid phone number`);
    const type = body.type ?? 'text';
    if (type !== 'template')
      return invalidParameter(
        '(#100) Invalid parameter',
        undefined,
        `Only template messages can start a conversation; got type '${String(type)}'`,
      );
    const template = isObject(body.template) ? body.template : {};
    const name = typeof template.name === 'string' ? template.name : '';
    const language = isObject(template.language) ? String(template.language.code ?? '') : '';
    if (!name || !language)
      return invalidParameter(
        '(#100) Invalid parameter',
        undefined,
        'template.name and template.language.code are required',
      );
    const registered = number.templates.get(`${name}:${language}`);
    if (!registered || registered.status === 'PENDING' || registered.status === 'REJECTED')
      return waError(
        404,
        132001,
        'Template name does not exist in the translation',
        `template name (${name}) does not exist in ${language}`,
      );
    if (registered.status === 'PAUSED')
      return waError(
        400,
        132015,
        'Template is Paused',
        `template (${name}) is paused because of low quality`,
      );
    if (registered.status === 'DISABLED')
      return waError(400, 132016, 'Template is disabled', `template (${name}) has been disabled`);
    const parameters = bodyParameters(template.components);
    const expected = placeholders(registered.body);
    if (registered.body !== undefined && parameters.length !== expected)
      return waError(
        400,
        132000,
        'Number of parameters does not match the expected number of params',
        `body: number of localizable_params (${parameters.length}) does not match the expected number of params (${expected})`,
      );
    if (number.optedOut.has(to))
      return waError(
        400,
        131050,
        'User has stopped receiving messages from this business',
        `The recipient ${to} opted out of messages from this number; it was not messaged.`,
      );
    const recipients = recentRecipients();
    if (number.tier !== null && !recipients.has(to) && recipients.size >= number.tier)
      return waError(
        400,
        131048,
        'Spam rate limit hit',
        `The number's messaging limit (${tierName(number.tier)}: ${number.tier} unique recipients per 24 hours) is reached.`,
      );
    const now = clock.now();
    const message: WhatsAppMessage = {
      id: nextMessageId(sim, number, to),
      phoneNumberId: number.id,
      to,
      template: { name, language },
      createdAt: now,
    };
    state.waMessages.set(message.id, message);
    recipients.delete(to);
    recipients.set(to, now);
    const text =
      registered.body?.replace(/\{\{\s*(\d+)\s*\}\}/g, (_, n: string) => parameters[Number(n) - 1] ?? '') ??
      `template:${name}`;
    const entry = state.record({
      platform: 'whatsapp',
      account: number.id,
      kind: 'wa_message',
      id: message.id,
      text,
      createdAt: new Date(now).toISOString(),
      details: { to, template: name, language, category: registered.category },
    });
    entry.details.status = reportStatuses(message, registered.category);
    return json(200, {
      messaging_product: 'whatsapp',
      contacts: [{ input, wa_id: to }],
      messages: [{ id: message.id, message_status: 'accepted' }],
    });
  }

  if (req.method === 'POST' && edge === 'messages')
    return route('whatsapp.messages.send', ({ req: r }) => send(r));
  if (req.method === 'GET' && edge === undefined)
    return route('whatsapp.number.get', ({ req: r }) => {
      const fields = requestedFields(r, NUMBER_FIELDS, DEFAULT_NUMBER_FIELDS, 'WhatsAppBusinessPhoneNumber');
      if (!Array.isArray(fields)) return fields;
      const all: Record<string, unknown> = {
        id: number.id,
        display_phone_number: number.displayPhoneNumber,
        verified_name: number.verifiedName,
        quality_rating: 'GREEN',
        messaging_limit_tier: tierName(number.tier),
        code_verification_status: 'VERIFIED',
        platform_type: 'CLOUD_API',
      };
      return json(200, Object.fromEntries(fields.map((f) => [f, all[f]])));
    });
  return unsupported(req, number.id);
}
