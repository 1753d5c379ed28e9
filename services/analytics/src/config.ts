import { loadConfigOrExit, serviceShape, z } from '@prasar/config';

const price = (fallback: number) => z.coerce.number().min(0).max(1_000_000).default(fallback);

/** The analytics configuration, with the platform prices the cost ledger bills (see README). */
export const analyticsShape = {
  ...serviceShape,
  PORT: serviceShape.PORT.default(4105),
  /** Currency the prices below are in. */
  ANALYTICS_COST_CURRENCY: z.string().min(3).max(3).default('USD'),
  /** What X bills for creating one post without a link. */
  ANALYTICS_X_POST_PRICE: price(0.015),
  /** What X bills for creating one post that carries a link. */
  ANALYTICS_X_LINK_POST_PRICE: price(0.2),
  /** Facebook, Instagram and WhatsApp posts are free to publish through their APIs by default. */
  ANALYTICS_FACEBOOK_POST_PRICE: price(0),
  ANALYTICS_INSTAGRAM_POST_PRICE: price(0),
  ANALYTICS_WHATSAPP_POST_PRICE: price(0),
  /** Where notification mail goes (smtp://host:port, smtps://user:password@host:port); none: no mail. */
  SMTP_URL: z.string().url().optional(),
  /** The sender of notification mail. */
  MAIL_FROM: z.string().min(3).default('Prasar <notifications@prasar.local>'),
  /** How often the mail outbox is looked at, in ms. */
  MAIL_POLL_MS: z.coerce.number().int().min(50).max(600_000).default(2000),
  /** How often the notification clock (17:00/18:00 IST, SLA at 80 %, blackout starts) looks, in ms. */
  NOTIFY_CLOCK_MS: z.coerce.number().int().min(50).max(600_000).default(30_000),
};

export const config = loadConfigOrExit(analyticsShape);
