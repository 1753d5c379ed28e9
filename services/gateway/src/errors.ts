// What a caller may see of an error. Every error of a response passes through maskGatewayError.
import { MAX_REQUEST_BODY_BYTES } from '@prasar/config';
import { GraphQLError } from 'graphql';

/**
 * The public error codes, exactly the list in the contract's header (docs/api-contract.graphql;
 * errors.spec.ts holds the two together). Nothing else ever reaches a caller.
 */
export const PUBLIC_ERROR_CODES: readonly string[] = [
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'COMPLIANCE_VIOLATION',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
];

/** Codes whose message is meant for the caller, kept as they are. */
const EXPOSED_CODES: ReadonlySet<string> = new Set(
  PUBLIC_ERROR_CODES.filter((code) => code !== 'INTERNAL_SERVER_ERROR'),
);

/** Request errors of the runtime under another name: the caller sees the public code. */
const RENAMED_CODES: Readonly<Record<string, string>> = {
  OPERATION_RESOLUTION_FAILURE: 'BAD_REQUEST',
  PERSISTED_QUERY_NOT_FOUND: 'BAD_REQUEST',
  PERSISTED_QUERY_NOT_SUPPORTED: 'BAD_REQUEST',
};

/** How a subgraph call fails when the subgraph is down, restarting or too slow (Hive's codes). */
const OUTAGE_CODES: ReadonlySet<string> = new Set([
  'SUBREQUEST_HTTP_ERROR',
  'TIMEOUT_ERROR',
  'GATEWAY_TIMEOUT',
]);
/** Answers of a proxy or a starting server in front of a subgraph that mean "not now". */
const OUTAGE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

/** What a caller is told to wait before retrying after UNAVAILABLE, in seconds. */
export const RETRY_AFTER_SECONDS = 5;

export const UNAVAILABLE_MESSAGE = `A service behind the API is unavailable; retry after ${RETRY_AFTER_SECONDS} seconds`;

/**
 * Extensions a caller may see. Anything else (a subgraph's `stacktrace` or `exception`, the name of
 * the subgraph, the request the gateway sent it, the runtime's `originalError`) is dropped. `http`
 * never reaches the body: the runtime turns it into the response status.
 */
const PUBLIC_EXTENSIONS = ['code', 'violations', 'retryAfter', 'http'] as const;

/** The masked message of an internal error: the details go to the gateway's log, not to the caller. */
export const INTERNAL_ERROR_MESSAGE = 'Internal server error';

function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && error.name === 'GraphQLError';
}

/** A GraphQLError raised as such (a validation error, a subgraph's error), not one wrapping a crash. */
function isDeliberate(error: GraphQLError): boolean {
  const cause = error.originalError;
  return cause == null || (isGraphQLError(cause) && isDeliberate(cause));
}

/** Whether a subgraph call failed because the subgraph is down, restarting or timing out. */
export function isOutage(error: unknown): boolean {
  if (!isGraphQLError(error)) return false;
  const code = error.extensions?.code;
  if (typeof code === 'string' && OUTAGE_CODES.has(code)) return true;
  const response = error.extensions?.response as { status?: unknown } | undefined;
  return typeof response?.status === 'number' && OUTAGE_STATUSES.has(response.status);
}

/** The error a caller gets for an outage: retryable, with nothing about which service or why. */
export function unavailableError(path?: readonly (string | number)[]): GraphQLError {
  return new GraphQLError(UNAVAILABLE_MESSAGE, {
    path,
    extensions: { code: 'UNAVAILABLE', retryAfter: RETRY_AFTER_SECONDS },
  });
}

/** A variable the runtime could not coerce ("Variable "$id" got invalid value ..."). */
const VARIABLE_ERROR = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)"/;

/**
 * The public code of an error the runtime or a subgraph raised deliberately, or undefined when it
 * must be hidden as internal.
 */
function publicCodeOf(error: GraphQLError): string | undefined {
  const code = error.extensions?.code;
  const fromSubgraph = error.extensions?.serviceName !== undefined;
  if (typeof code === 'string') {
    if (EXPOSED_CODES.has(code)) return code;
    return RENAMED_CODES[code];
  }
  // graphql-js's own request errors carry no code: variable coercion (a wrong type, an unknown enum
  // value, null for a non-null, a missing variable) and its other checks before execution.
  if (fromSubgraph || error.path !== undefined) return undefined;
  return VARIABLE_ERROR.test(error.message) ? 'BAD_USER_INPUT' : 'GRAPHQL_VALIDATION_FAILED';
}

/**
 * Turns any error into what the caller may see. An outage of a subgraph becomes UNAVAILABLE with a
 * retryAfter hint. Deliberate errors with a public code (or a runtime request error, given its public
 * code) keep their message; everything else, a crash in the gateway, a subgraph's
 * INTERNAL_SERVER_ERROR or a field error without a code, becomes a new error with the masked message
 * (the runtime logs the original when the error is replaced). Path and locations always survive;
 * only PUBLIC_EXTENSIONS do, so stack traces and service names never leave.
 */
export function maskGatewayError(error: unknown, message = INTERNAL_ERROR_MESSAGE): Error {
  if (!isGraphQLError(error)) {
    return new GraphQLError(message, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  }
  if (isOutage(error)) {
    // Replaced in place, so the runtime does not log each request of an outage (availability.ts
    // logs the outage once).
    // `http` is not in the body: a 200 (the answer may hold other fields' data) with Retry-After.
    return strip(
      error,
      {
        code: 'UNAVAILABLE',
        retryAfter: RETRY_AFTER_SECONDS,
        http: { status: 200, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } },
      },
      UNAVAILABLE_MESSAGE,
    );
  }
  if ((error.extensions?.response as { status?: unknown } | undefined)?.status === 413) {
    // A subgraph's body parser refused what the gateway sent it (an entity fetch can outgrow the
    // caller's request): the caller's request is too large to serve.
    const tooLarge = `The request needs more than the limit of ${MAX_REQUEST_BODY_BYTES} bytes per service call; ask for fewer objects at once`;
    return strip(
      error,
      {
        code: 'BAD_USER_INPUT',
        violations: [{ field: 'body', rule: 'maxBodyBytes', message: tooLarge }],
        http: { status: 200 }, // not the runtime's 500 for a non-GraphQL cause; other fields may have data
      },
      tooLarge,
    );
  }
  const code = isDeliberate(error) ? publicCodeOf(error) : undefined;
  if (code !== undefined) {
    const violations = error.extensions?.violations;
    if (code === 'BAD_USER_INPUT' && violations === undefined && error.extensions?.code === undefined) {
      const variable = VARIABLE_ERROR.exec(error.message)?.[1];
      if (variable)
        return strip(error, {
          code,
          violations: [{ field: `variables.${variable}`, rule: 'type', message: error.message }],
        });
    }
    return strip(error, { code });
  }
  const extensions: Record<string, unknown> = { code: 'INTERNAL_SERVER_ERROR' };
  if (error.extensions?.http !== undefined) extensions.http = error.extensions.http;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions,
  });
}

/**
 * The same error with only the public extensions, `set` overriding them. Returning the same error
 * tells the runtime nothing was hidden, so it does not log an expected refusal (NOT_FOUND, a
 * violation) as a gateway error.
 */
function strip(error: GraphQLError, set: Record<string, unknown>, message?: string): GraphQLError {
  const extensions = error.extensions as Record<string, unknown>;
  for (const key of Object.keys(extensions)) {
    if (!(PUBLIC_EXTENSIONS as readonly string[]).includes(key)) delete extensions[key];
  }
  Object.assign(extensions, set);
  // GraphQLError's message is an own writable property.
  if (message !== undefined) (error as { message: string }).message = message;
  return error;
}
