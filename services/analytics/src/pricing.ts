/** What one published post costs on each platform (the cost ledger's price list). */
export interface PriceList {
  currency: string;
  xPost: number;
  xLinkPost: number;
  facebookPost: number;
  instagramPost: number;
  whatsappPost: number;
}

export const PRICE_LIST = Symbol('PRICE_LIST');

/** Defaults (overridable by ANALYTICS_*_PRICE): X bills per post and more for a post with a link. */
export const DEFAULT_PRICES: PriceList = {
  currency: 'USD',
  xPost: 0.015,
  xLinkPost: 0.2,
  facebookPost: 0,
  instagramPost: 0,
  whatsappPost: 0,
};

export function pricesFrom(c: {
  ANALYTICS_COST_CURRENCY: string;
  ANALYTICS_X_POST_PRICE: number;
  ANALYTICS_X_LINK_POST_PRICE: number;
  ANALYTICS_FACEBOOK_POST_PRICE: number;
  ANALYTICS_INSTAGRAM_POST_PRICE: number;
  ANALYTICS_WHATSAPP_POST_PRICE: number;
}): PriceList {
  return {
    currency: c.ANALYTICS_COST_CURRENCY,
    xPost: c.ANALYTICS_X_POST_PRICE,
    xLinkPost: c.ANALYTICS_X_LINK_POST_PRICE,
    facebookPost: c.ANALYTICS_FACEBOOK_POST_PRICE,
    instagramPost: c.ANALYTICS_INSTAGRAM_POST_PRICE,
    whatsappPost: c.ANALYTICS_WHATSAPP_POST_PRICE,
  };
}

/** The price of one post on a platform. */
export function priceOf(prices: PriceList, platform: string, hasLink: boolean): number {
  switch (platform) {
    case 'X':
      return hasLink ? prices.xLinkPost : prices.xPost;
    case 'FACEBOOK':
      return prices.facebookPost;
    case 'INSTAGRAM':
      return prices.instagramPost;
    case 'WHATSAPP':
      return prices.whatsappPost;
    default:
      return 0;
  }
}
