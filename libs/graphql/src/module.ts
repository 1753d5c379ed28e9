import { ApolloFederationDriver, type ApolloFederationDriverConfig } from '@nestjs/apollo';
import type { DynamicModule } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import type { Request } from 'express';
import { TokenVerifier, type VerifierOptions } from '@prasar/auth';
import { createLogger } from '@prasar/telemetry';
import { createErrorFormatter } from './errors';
import { inputValidationPlugin } from './inputs';
import { operationMetricsPlugin } from './metrics';
import { authenticatedContext } from './principal';
import { DateTimeScalar } from './scalars';

export interface SubgraphOptions {
  /** The subgraph's SDL file (schema-first: the SDL is the contract the gateway composes). */
  schemaPath: string;
  auth: VerifierOptions;
}

/** The one way a service serves its GraphQL subgraph: federation, auth on every request, safe errors. */
export function subgraphModule(options: SubgraphOptions): DynamicModule {
  const verifier = new TokenVerifier(options.auth);
  const logger = createLogger('graphql');
  return GraphQLModule.forRoot<ApolloFederationDriverConfig>({
    driver: ApolloFederationDriver,
    typePaths: [options.schemaPath],
    path: '/graphql',
    resolvers: { DateTime: DateTimeScalar },
    context: ({ req }: { req: Request }) => authenticatedContext(verifier, req),
    formatError: createErrorFormatter(logger),
    includeStacktraceInErrorResponses: false,
    playground: false,
    // Federated tracing would leak resolver timings to callers; we trace with OpenTelemetry instead.
    plugins: [ApolloServerPluginInlineTraceDisabled(), inputValidationPlugin(), operationMetricsPlugin()],
    introspection: true,
  });
}
