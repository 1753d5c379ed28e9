// What Facebook, Instagram and WhatsApp Cloud share as Graph API endpoints: the error shape
// ({error: {message, type, code, error_subcode, fbtrace_id}}), the error codes the simulator
// injects or enforces, and the access-token check.
import { randomBytes } from 'node:crypto';
import type { AuthOutcome, PlatformErrors, RateLimitRefusal, Sim } from './context';
import { bearerToken, json, type Reply, type SimRequest } from './http';
import type { RateLimitUsage } from './rate-limits';
import type { Platform } from './state';

export interface GraphErrorFields {
  message: string;
  code: number;
  type?: string;
  error_subcode?: number;
  error_user_title?: string;
  error_user_msg?: string;
  is_transient?: boolean;
  /** WhatsApp's `error_data.details`. */
  details?: string;
}

/** A Graph error reply: `{error: {message, type, code, error_subcode, fbtrace_id}}`. */
export function graphError(
  status: number,
  fields: GraphErrorFields,
  headers?: Record<string, string>,
): Reply {
  const { details, type = 'OAuthException', ...rest } = fields;
  return json(
    status,
    {
      error: {
        message: rest.message,
        type,
        code: rest.code,
        ...(rest.error_subcode !== undefined ? { error_subcode: rest.error_subcode } : {}),
        ...(rest.is_transient !== undefined ? { is_transient: rest.is_transient } : {}),
        ...(rest.error_user_title !== undefined ? { error_user_title: rest.error_user_title } : {}),
        ...(rest.error_user_msg !== undefined ? { error_user_msg: rest.error_user_msg } : {}),
        ...(details !== undefined ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
        fbtrace_id: randomBytes(9).toString('base64url'),
      },
    },
    headers,
  );
}

/** Graph's "invalid parameter" (#100). */
export function invalidParameter(message: string, subcode?: number, details?: string): Reply {
  return graphError(400, { message, code: 100, error_subcode: subcode, details });
}

/** What Graph answers for an id it does not know or a verb/edge the node does not have. */
export function unsupported(req: SimRequest, id: string): Reply {
  const verb = req.method === 'POST' ? 'post' : req.method === 'DELETE' ? 'delete' : 'get';
  return invalidParameter(
    `Unsupported ${verb} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    33,
  );
}

/** The `X-Business-Use-Case-Usage` header: the share of the budget used, and minutes until access returns. */
function businessUseCaseUsage(
  platform: 'facebook' | 'instagram',
  usage: RateLimitUsage,
  account: string,
  now: number,
) {
  const used = Math.min(100, Math.round(((usage.limit - usage.remaining) / usage.limit) * 100));
  const regainMinutes = usage.remaining > 0 ? 0 : Math.ceil((usage.resetAt - now) / 60_000);
  return JSON.stringify({
    [account]: [
      {
        type: platform === 'instagram' ? 'instagram' : 'pages',
        call_count: used,
        total_cputime: Math.floor(used / 2),
        total_time: Math.floor(used / 2),
        estimated_time_to_regain_access: regainMinutes,
      },
    ],
  });
}

/** Graph's rate-limit codes per platform: page (#32), Instagram BUC (#80002), WhatsApp throughput (#130429). */
const RATE_LIMIT: Record<Exclude<Platform, 'x'>, GraphErrorFields> = {
  facebook: { code: 32, message: '(#32) Page request limit reached' },
  instagram: {
    code: 80002,
    message: '(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.',
  },
  whatsapp: {
    code: 130429,
    message: '(#130429) Rate limit hit',
    details: 'Cloud API message throughput has been reached.',
  },
};

/** Graph's errors for one platform; the clock is for the BUC header's time to regain access. */
export function graphErrors(platform: Exclude<Platform, 'x'>, now: () => number): PlatformErrors {
  const usageHeaders = (usage: RateLimitUsage, account: string) =>
    platform === 'whatsapp'
      ? ({} as Record<string, string>)
      : { 'x-business-use-case-usage': businessUseCaseUsage(platform, usage, account, now()) };
  return {
    serverError: (status) =>
      graphError(status, {
        message: 'An unexpected error has occurred. Please retry your request later.',
        code: 2,
        is_transient: true,
        details: platform === 'whatsapp' ? 'Service temporarily unavailable.' : undefined,
      }),
    rateLimited: (refusal: RateLimitRefusal, account: string) =>
      graphError(429, RATE_LIMIT[platform], {
        'retry-after': String(refusal.retryAfterSeconds),
        ...(refusal.usage ? usageHeaders(refusal.usage, account) : {}),
      }),
    blocked: () =>
      graphError(400, {
        message: '(#368) The action attempted has been deemed abusive or is otherwise disallowed',
        code: 368,
        details: platform === 'whatsapp' ? 'Temporarily blocked for policy violations.' : undefined,
      }),
    badBody: (message, status) =>
      status === 413 ? graphError(413, { message, code: 100 }) : invalidParameter(`(#100) ${message}`),
    usageHeaders,
  };
}

/** Checks a Graph token (`access_token` parameter or `Authorization: Bearer`) against one account. */
export function graphAuthenticate(
  sim: Sim,
  req: SimRequest,
  platform: Platform,
  account: string,
): AuthOutcome {
  const token = req.params.access_token ?? bearerToken(req.headers);
  if (!token)
    return {
      reply: graphError(400, { message: 'An access token is required to request this resource.', code: 104 }),
    };
  const record = sim.state.tokens.get(token);
  if (!record)
    return {
      reply: graphError(401, {
        message: 'Invalid OAuth access token - Cannot parse access token',
        code: 190,
      }),
    };
  if (record.revoked)
    return {
      reply: graphError(401, {
        message:
          'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.',
        code: 190,
        error_subcode: 460,
      }),
    };
  if (record.expiresAt !== null && sim.clock.now() >= record.expiresAt)
    return {
      reply: graphError(401, {
        message: `Error validating access token: Session has expired on ${new Date(record.expiresAt).toUTCString()}.`,
        code: 190,
        error_subcode: 463,
      }),
    };
  if (!record.grants.some((g) => g.platform === platform && g.account === account))
    return {
      reply: graphError(403, {
        message: "(#200) The user hasn't authorized the application to perform this action",
        code: 200,
      }),
    };
  return { account };
}
