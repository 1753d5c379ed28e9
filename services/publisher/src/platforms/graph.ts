// What Facebook, Instagram and WhatsApp share as Graph API clients: paths, the access token, and
// what a Graph error (`{error: {message, code, error_subcode, is_transient}}`) means for a post.
import type { AccountSecrets } from '../accounts/credentials';
import { reasonOf, retryAfterMs, type HttpReply } from './http';
import type { CallFailure } from './platform';

export interface GraphError {
  message?: string;
  code?: number;
  error_subcode?: number;
  is_transient?: boolean;
  error_user_title?: string;
  error_user_msg?: string;
  error_data?: { details?: string };
}

export function graphErrorOf(reply: HttpReply): GraphError {
  const error = (reply.body as { error?: GraphError } | undefined)?.error;
  return typeof error === 'object' && error ? error : {};
}

/** Throttling codes: app/user/page limits, Instagram's, WhatsApp's throughput and spam limits. */
const RATE_LIMITED = new Set([4, 17, 32, 613, 80001, 80002, 130429, 131048, 131056]);
/** Permission errors: the token lacks what publishing needs, so the account must be reconnected. */
const NO_PERMISSION = new Set([10, 200, 190]);

/** The human reason of a Graph error: its message and the detail Meta adds for people. */
export function graphReason(reply: HttpReply): string {
  const e = graphErrorOf(reply);
  const parts = [e.message, e.error_user_msg, e.error_data?.details].filter(Boolean);
  return parts.length ? parts.join(' — ') : reasonOf(reply.body, `HTTP ${reply.status}`);
}

/** What a Graph error answer means for the post. */
export function graphFailure(reply: HttpReply): CallFailure {
  const e = graphErrorOf(reply);
  const base = { httpStatus: reply.status, error: graphReason(reply) };
  const code = e.code ?? 0;
  if (reply.status === 401 || code === 190 || (NO_PERMISSION.has(code) && reply.status !== 429))
    return { kind: 'unauthorized', ...base };
  if (reply.status === 429 || RATE_LIMITED.has(code))
    return { kind: 'rate-limited', ...base, retryAfterMs: retryAfterMs(reply.headers) };
  if (reply.status >= 500 || e.is_transient === true || code === 1 || code === 2)
    return { kind: 'unavailable', ...base };
  // #100 invalid parameter, #368 blocked as abusive, #506 duplicate, …: the same post fails again.
  return { kind: 'refused', ...base };
}

export function bearer(secrets: AccountSecrets): Record<string, string> {
  return { authorization: `Bearer ${secrets.accessToken}` };
}

/** `/v21.0/<id>[/<edge>]`. */
export function graphPath(version: string, id: string, edge?: string): string {
  return `/${version}/${encodeURIComponent(id)}${edge ? `/${edge}` : ''}`;
}
