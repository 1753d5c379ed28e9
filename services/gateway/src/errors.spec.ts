import { MAX_REQUEST_BODY_BYTES } from '@prasar/config';
import { GraphQLError } from 'graphql';
import { documentedErrorCodes } from './contract';
import {
  INTERNAL_ERROR_MESSAGE,
  maskGatewayError,
  PUBLIC_ERROR_CODES,
  RETRY_AFTER_SECONDS,
  UNAVAILABLE_MESSAGE,
} from './errors';

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
      extensions: { code: 'BAD_USER_INPUT', violations },
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
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
    }
  });

  it('keeps the gateway’s own validation errors', () => {
    const error = new GraphQLError('Cannot query field "nope" on type "Query".', {
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(maskGatewayError(error)).toBe(error);
  });

  it('hides a field error without a code (a result the schema does not allow)', () => {
    const uncoded = new GraphQLError('Cannot return null for non-nullable field Content.title.', {
      path: ['content', 'title'],
    });
    expect(json(maskGatewayError(uncoded))).toEqual({
      message: INTERNAL_ERROR_MESSAGE,
      path: ['content', 'title'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  it('gives variable coercion errors BAD_USER_INPUT with the variable as the violation’s field', () => {
    for (const message of [
      'Variable "$id" got invalid value 5.5; ID cannot represent value: 5.5',
      'Variable "$p" got invalid value "NOPE"; Value "NOPE" does not exist in "Platform" enum.',
      'Variable "$id" of non-null type "ID!" must not be null.',
      'Variable "$id" of required type "ID!" was not provided.',
    ]) {
      const masked = json(maskGatewayError(new GraphQLError(message)));
      const name = /\$(\w+)/.exec(message)![1];
      expect(masked).toEqual({
        message,
        extensions: {
          code: 'BAD_USER_INPUT',
          violations: [{ field: `variables.${name}`, rule: 'type', message }],
        },
      });
    }
    const other = json(maskGatewayError(new GraphQLError('Must provide query string.')));
    expect(other.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
  });

  it('answers the runtime’s other request codes with the public BAD_REQUEST', () => {
    for (const code of ['OPERATION_RESOLUTION_FAILURE', 'PERSISTED_QUERY_NOT_FOUND']) {
      const error = new GraphQLError('Could not determine what operation to execute.', {
        extensions: { code, http: { status: 400 } },
      });
      expect(maskGatewayError(error)).toBe(error);
      expect(json(error).extensions).toEqual({ code: 'BAD_REQUEST', http: { status: 400 } });
    }
  });

  it('answers a subgraph that is down or timing out as UNAVAILABLE with retryAfter, hiding the request', () => {
    const down = [
      { code: 'SUBREQUEST_HTTP_ERROR' },
      { code: 'TIMEOUT_ERROR', http: { status: 504 } },
      { code: 'GATEWAY_TIMEOUT', http: { status: 504 } },
      { code: 'DOWNSTREAM_SERVICE_ERROR', response: { status: 503 } },
    ];
    for (const extensions of down) {
      const error = new GraphQLError('connect ECONNREFUSED 10.0.0.7:4101', {
        path: ['content'],
        originalError: new Error('connect ECONNREFUSED'),
        extensions: {
          ...extensions,
          serviceName: 'intake',
          request: { method: 'POST', body: '{"variables":{"accessToken":"s3cret"}}' },
        },
      });
      const masked = maskGatewayError(error) as GraphQLError;
      expect(masked).toBe(error); // replaced in place: the runtime does not log it per request
      expect(masked.extensions.http).toEqual({
        status: 200,
        headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
      });
      const { http: _http, ...extensionsInBody } = masked.extensions;
      expect({ ...json(masked), extensions: extensionsInBody }).toEqual({
        message: UNAVAILABLE_MESSAGE,
        path: ['content'],
        extensions: { code: 'UNAVAILABLE', retryAfter: RETRY_AFTER_SECONDS },
      });
    }
  });

  it('answers a subgraph’s 413 as BAD_USER_INPUT naming the limit', () => {
    const error = new GraphQLError('Unexpected response: request entity too large', {
      path: ['departments'],
      extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'intake', response: { status: 413 } },
    });
    expect(json(maskGatewayError(error))).toEqual({
      message: expect.stringContaining(String(MAX_REQUEST_BODY_BYTES)),
      path: ['departments'],
      extensions: {
        code: 'BAD_USER_INPUT',
        violations: [expect.objectContaining({ field: 'body', rule: 'maxBodyBytes' })],
        http: { status: 200 }, // the runtime's response status, never in the body
      },
    });
  });

  it('never answers a code outside the contract’s documented list, nor a service name', () => {
    expect([...PUBLIC_ERROR_CODES].sort()).toEqual([...documentedErrorCodes()].sort());
    const inputs: unknown[] = [
      new Error('boom'),
      new GraphQLError('x', { extensions: { code: 'SOMETHING_ELSE', serviceName: 'approval' } }),
      new GraphQLError('x', { extensions: { code: 'NOT_FOUND', serviceName: 'approval' } }),
      new GraphQLError('x', { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }),
      new GraphQLError('x', { path: ['a'], extensions: { serviceName: 'intake' } }),
      new GraphQLError('Variable "$a" got invalid value 1'),
      new GraphQLError('x', { extensions: { code: 'SUBREQUEST_HTTP_ERROR', serviceName: 'intake' } }),
    ];
    for (const input of inputs) {
      const masked = json(maskGatewayError(input));
      expect(documentedErrorCodes()).toContain(masked.extensions?.code);
      expect(JSON.stringify(masked)).not.toMatch(/serviceName|approval|intake/);
    }
  });
});
