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
};

export const config = loadConfigOrExit(analyticsShape);
