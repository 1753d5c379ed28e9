import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { DomainError } from '@prasar/auth';

// Codes graphql-js and Apollo Server produce for a caller's own mistakes; safe to show as they are.
const CALLER_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
  'UNAUTHENTICATED',
]);

/** The contract code an error will be answered with (bounded: safe as a metric label). */
export function errorCodeOf(error: unknown): string {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (original instanceof DomainError) return original.code;
  const code = error instanceof GraphQLError ? error.extensions?.code : undefined;
  return typeof code === 'string' && CALLER_CODES.has(code) ? code : 'INTERNAL_SERVER_ERROR';
}

/**
 * Shapes every error a subgraph returns: domain refusals keep their contract code and violations,
 * caller mistakes keep graphql's message, anything else becomes an opaque internal error (logged
 * with its stack, never sent).
 */
export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (original instanceof DomainError) {
      return {
        message: original.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: {
          code: original.code,
          ...(original.violations.length ? { violations: original.violations } : {}),
        },
      };
    }
    const code = formatted.extensions?.code;
    if (original instanceof GraphQLError && typeof code === 'string' && CALLER_CODES.has(code)) {
      const violations = formatted.extensions?.violations;
      return {
        message: formatted.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code, ...(Array.isArray(violations) ? { violations } : {}) },
      };
    }
    logger.error({ err: original, path: formatted.path }, 'internal error while resolving');
    return {
      message: 'Internal error: the request could not be completed',
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
