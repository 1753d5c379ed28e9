import { IntrinsicException } from '@nestjs/common';

/** The contract's error codes (api-contract.graphql header). */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'COMPLIANCE_VIOLATION'
  | 'UNAVAILABLE';

export interface Violation {
  field: string;
  rule: string;
  message: string;
}

/**
 * An expected refusal: carries a contract error code and, for input problems, the violations.
 * Nest's `IntrinsicException`: its exception handlers pass it on without logging it as an error
 * (a caller's refusal is not a fault of ours; the GraphQL error formatter answers it with its code).
 */
export class DomainError extends IntrinsicException {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly violations: Violation[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class AuthenticationError extends DomainError {
  constructor(message = 'Authentication required: send a valid bearer token') {
    super('UNAUTHENTICATED', message);
    this.name = 'AuthenticationError';
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'Your role does not allow this operation') {
    super('FORBIDDEN', message);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} ${id} was not found`);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends DomainError {
  constructor(message: string) {
    super('CONFLICT', message);
    this.name = 'ConflictError';
  }
}

export class BadInputError extends DomainError {
  constructor(message: string, violations: Violation[] = []) {
    super('BAD_USER_INPUT', message, violations);
    this.name = 'BadInputError';
  }
}

/** Something Prasar depends on (the identity provider) cannot answer now: nothing was done, retry. */
export class UnavailableError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds = 5,
  ) {
    super('UNAVAILABLE', message);
    this.name = 'UnavailableError';
  }
}
