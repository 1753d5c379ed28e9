import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { GraphQLError } from 'graphql';
import type { Request } from 'express';
import { DomainError, type Principal, type TokenVerifier } from '@prasar/auth';

export interface SubgraphContext {
  req: Request;
  principal: Principal;
}

/** Builds the request context: every subgraph request must carry a valid token (defence in depth behind the gateway). */
export async function authenticatedContext(verifier: TokenVerifier, req: Request): Promise<SubgraphContext> {
  try {
    return { req, principal: await verifier.verifyAuthorization(req.headers.authorization) };
  } catch (err) {
    if (err instanceof DomainError) {
      throw new GraphQLError(err.message, { extensions: { code: err.code, http: { status: 401 } } });
    }
    throw err;
  }
}

/** The verified caller of the current GraphQL operation. */
export const Caller = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  return GqlExecutionContext.create(ctx).getContext<SubgraphContext>().principal;
});
