// What a caller may see of an error. Every error of a response passes through maskGatewayError.
import { GraphQLError } from 'graphql';

/** Codes whose message is meant for the caller: the contract's, and the standard request errors. */
export const PUBLIC_ERROR_CODES: ReadonlySet<string> = new Set([
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'COMPLIANCE_VIOLATION',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
]);

/**
 * Extensions a caller may see. Anything else (a subgraph's `stacktrace` or `exception`, the
 * runtime's `originalError` in development mode) is dropped. `http` never reaches the body: the
 * runtime turns it into the response status.
 */
const PUBLIC_EXTENSIONS = ['code', 'violations', 'serviceName', 'http'] as const;

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

/**
 * Turns any error into what the caller may see. Deliberate errors keep their message when they carry
 * a public code, or no code and no subgraph (the gateway's own validation errors); everything else, a
 * crash in the gateway or a subgraph's INTERNAL_SERVER_ERROR, becomes a new error with the masked
 * message (the runtime logs the original when the error is replaced). Path and locations always
 * survive; only PUBLIC_EXTENSIONS do, so stack traces never leave.
 */
export function maskGatewayError(error: unknown, message = INTERNAL_ERROR_MESSAGE): Error {
  if (!isGraphQLError(error)) {
    return new GraphQLError(message, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  }
  const code = error.extensions?.code;
  const fromSubgraph = error.extensions?.serviceName !== undefined;
  const expose =
    isDeliberate(error) && (typeof code === 'string' ? PUBLIC_ERROR_CODES.has(code) : !fromSubgraph);
  if (expose) {
    // Stripped in place: returning the same error tells the runtime nothing was hidden, so it does not
    // log an expected refusal (NOT_FOUND, a violation) as a gateway error.
    for (const key of Object.keys(error.extensions ?? {})) {
      if (!(PUBLIC_EXTENSIONS as readonly string[]).includes(key))
        delete (error.extensions as Record<string, unknown>)[key];
    }
    return error;
  }
  const extensions: Record<string, unknown> = { code: 'INTERNAL_SERVER_ERROR' };
  if (fromSubgraph) extensions.serviceName = error.extensions.serviceName;
  if (error.extensions?.http !== undefined) extensions.http = error.extensions.http;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions,
  });
}
