import { GraphQLError } from 'graphql';
import { INTERNAL_ERROR_MESSAGE, maskGatewayError } from './errors';

const json = (error: Error) => (error as GraphQLError).toJSON();

describe('maskGatewayError', () => {
  it('hides a crash in the gateway', () => {
    const masked = maskGatewayError(new TypeError('cannot read x of undefined'));
    expect(json(masked)).toEqual({
      message: INTERNAL_ERROR_MESSAGE,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  it('hides a GraphQLError that wraps a crash, keeping its path', () => {
    const wrapped = new GraphQLError('secret detail', {
      path: ['content'],
      originalError: new Error('secret detail'),
    });
    expect(json(maskGatewayError(wrapped))).toEqual({
      message: INTERNAL_ERROR_MESSAGE,
      path: ['content'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  it('keeps a subgraph’s contract error with its code and violations, dropping its stack trace', () => {
    const violations = [{ field: 'input.title', rule: 'required', message: 'Title is required' }];
    const error = new GraphQLError('Invalid content', {
      path: ['createContent'],
      extensions: {
        code: 'BAD_USER_INPUT',
        violations,
        serviceName: 'intake',
        stacktrace: ['Error: at x.ts:1'],
      },
    });
    const result = maskGatewayError(error);
    expect(result).toBe(error); // unchanged errors are not logged as gateway failures
    expect(json(result)).toEqual({
      message: 'Invalid content',
      path: ['createContent'],
      extensions: { code: 'BAD_USER_INPUT', violations, serviceName: 'intake' },
    });
  });

  it('hides a subgraph’s internal error and one without a code', () => {
    for (const code of ['INTERNAL_SERVER_ERROR', undefined, 'DOWNSTREAM_SERVICE_ERROR']) {
      const error = new GraphQLError('relation "content" does not exist', {
        path: ['content'],
        extensions: { ...(code ? { code } : {}), serviceName: 'intake', stacktrace: ['...'], violations: [] },
      });
      expect(json(maskGatewayError(error))).toEqual({
        message: INTERNAL_ERROR_MESSAGE,
        path: ['content'],
        extensions: { code: 'INTERNAL_SERVER_ERROR', serviceName: 'intake' },
      });
    }
  });

  it('keeps the gateway’s own validation errors', () => {
    const error = new GraphQLError('Cannot query field "nope" on type "Query".', {
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(maskGatewayError(error)).toBe(error);
    const uncoded = new GraphQLError('Cannot return null for non-nullable field Content.title.');
    expect(maskGatewayError(uncoded)).toBe(uncoded);
  });
});
