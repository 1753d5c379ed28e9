// The federation runtime behind one small interface, so it can be swapped.
//
// Hive Gateway (`@graphql-hive/gateway-runtime`, MIT) executes the supergraph; its query planner is
// either the Rust one from `@graphql-hive/router-runtime` (a native addon, the faster) or Hive's own
// JavaScript planner (GATEWAY_QUERY_PLANNER=js, for a machine where the addon does not load).
// `@apollo/gateway` is deliberately not used: it, `@apollo/composition` and `@apollo/query-planner`
// are under the Elastic License 2.0, which forbids providing the software to others as a hosted or
// managed service; a government-wide platform should not carry that restriction. Hive Router (Rust) is
// the measured faster alternative: a swap replaces this file (and the token and cost limits below,
// which it would have to provide itself).
import { currentTraceContext } from '@prasar/telemetry';
import {
  createGatewayRuntime,
  Logger,
  type GatewayPlugin,
  type GatewayRuntime,
  type UnifiedGraphHandler,
} from '@graphql-hive/gateway-runtime';
import * as httpTransport from '@graphql-mesh/transport-http';
import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SubgraphAvailability } from './availability';
import { INTERNAL_ERROR_MESSAGE, isOutage, maskGatewayError } from './errors';
import {
  limitError,
  limitViolations,
  measureOperation,
  parseWithTokenLimit,
  type OperationLimits,
} from './limits';

/** What the HTTP server needs from a federation runtime. */
export interface GraphQLEngine {
  /** The path GraphQL requests are served on. */
  readonly endpoint: string;
  /** Serves one HTTP request to the GraphQL endpoint. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Resolves once the supergraph is loaded and the planner built; rejects if either fails. */
  ready(): Promise<void>;
  /** Releases the runtime's connections and caches. */
  dispose(): Promise<void>;
}

export type QueryPlanner = 'rust' | 'js';
export type EngineLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | false;

const HIVE_LEVELS: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error'];

/** The log calls the gateway makes: pino's shape, so the service's logger plugs in. */
export interface GatewayLog {
  trace(attributes: object, message?: string): void;
  debug(attributes: object, message?: string): void;
  info(attributes: object, message?: string): void;
  warn(attributes: object, message?: string): void;
  error(attributes: object, message?: string): void;
}

export interface EngineOptions {
  /** The supergraph SDL (compose.ts output). */
  supergraphSdl: string;
  /** Run-time URLs by subgraph name, overriding those composed into the supergraph. */
  subgraphUrls: Record<string, string>;
  planner: QueryPlanner;
  limits: OperationLimits;
  /** Per subgraph call; 0 for none. */
  upstreamTimeoutMs: number;
  log: GatewayLog;
  logLevel: EngineLogLevel;
  /** Request headers passed on to every subgraph call. */
  forwardedHeaders: readonly string[];
  /** More runtime plugins (the seam for telemetry). */
  plugins?: GatewayPlugin[];
}

/** The Rust planner, required only when chosen: a machine without its native addon can still run `js`. */
function rustPlanner(): UnifiedGraphHandler {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const router = require('@graphql-hive/router-runtime') as typeof import('@graphql-hive/router-runtime');
  return router.unifiedGraphHandler;
}

/**
 * Attributes that carry what a caller sent (the runtime's error details hold the subgraph request's
 * body as one JSON string, with its variables): never logged, whatever they contain.
 */
const REQUEST_DATA_KEYS: ReadonlySet<string> = new Set([
  'request',
  'response',
  'body',
  'variables',
  'variableValues',
  'params',
  'query',
]);

/** A copy of a log line's attributes without request data (REQUEST_DATA_KEYS), at any depth. */
export function withoutRequestData(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => withoutRequestData(item, depth + 1));
  if (value instanceof Error) {
    const { message, name } = value;
    const extensions = (value as { extensions?: unknown }).extensions;
    return {
      name,
      message,
      stack: value.stack,
      ...(extensions ? { extensions: withoutRequestData(extensions, depth + 1) } : {}),
    };
  }
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = REQUEST_DATA_KEYS.has(key)
      ? '[request data not logged]'
      : withoutRequestData(item, depth + 1);
  }
  return copy;
}

/** Hive's logger, writing through the service's log so every line has one format. */
function runtimeLogger(log: GatewayLog, level: EngineLogLevel): Logger {
  // Every Hive Logger (children included) throws at construction when the LOG_LEVEL variable holds a
  // level Hive lacks (pino's `fatal`, `silent`), even when given its level explicitly. The gateway's
  // configuration is read by now, so the variable is aligned with what Hive accepts.
  if (process.env.LOG_LEVEL !== undefined && !HIVE_LEVELS.includes(process.env.LOG_LEVEL)) {
    if (level === false) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = level;
  }
  return new Logger({
    level,
    writers: [
      {
        write(lvl, attributes, message) {
          const attrs = Array.isArray(attributes) ? { attributes } : (attributes ?? {});
          const safe = withoutRequestData(attrs) as Record<string, unknown>;
          log[lvl]({ component: 'hive-gateway', ...safe }, message ?? undefined);
        },
      },
    ],
  });
}

/** Refuses operations beyond the limits before any subgraph is called (see limits.ts). */
function useOperationLimits(limits: OperationLimits): GatewayPlugin {
  return {
    onParse({ setParseFn }) {
      setParseFn((source) => parseWithTokenLimit(source, limits.maxTokens));
    },
    onExecute({ args, setResultAndStopExecution }) {
      const measure = measureOperation(args.schema, args.document, args.operationName, args.variableValues);
      const violations = limitViolations(measure, limits);
      if (violations.length > 0) setResultAndStopExecution({ errors: [limitError(violations)] });
    },
  };
}

/**
 * Refuses, at validation, an operation of a type the supergraph has no root for (a subscription):
 * the planner would otherwise fail on it as an internal error.
 */
function servedOperationTypesRule(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (context.getSchema().getRootType(node.operation)) return;
      context.reportError(
        new GraphQLError(
          `This API does not serve ${node.operation} operations; it serves queries and mutations`,
          { nodes: node, extensions: { code: 'BAD_REQUEST' } },
        ),
      );
    },
  };
}

function useServedOperationTypes(): GatewayPlugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(servedOperationTypesRule);
    },
  };
}

/**
 * Starts one subgraph call with no listener limit on the abort signals created as it starts. Hive's
 * HTTP executor creates one dispose signal per subgraph, lazily, in its first call, and joins every
 * call's signal to it: with more than ten calls to one subgraph in flight, Node's leak detector
 * warned (MaxListenersExceededWarning) about what is ordinary concurrency, and the listeners go as
 * their calls end. The executor creates that signal synchronously when called, so the limit is
 * lifted just around the call's start, for the signals made there and nowhere else.
 */
function startWithoutListenerLimit<T>(start: () => T): T {
  const previous = EventEmitter.defaultMaxListeners;
  EventEmitter.defaultMaxListeners = 0;
  try {
    return start();
  } finally {
    EventEmitter.defaultMaxListeners = previous;
  }
}

/**
 * Watches every subgraph call: an outage (refused, reset, timed out, 502-504) is reported to
 * `availability`, which logs it once; errors.ts answers it as UNAVAILABLE.
 */
function useSubgraphCalls(availability: SubgraphAvailability): GatewayPlugin {
  return {
    onSubgraphExecute({ subgraphName, executor, setExecutor }) {
      setExecutor(async (request) => {
        try {
          const result = await startWithoutListenerLimit(() => executor(request));
          const outage = 'errors' in result ? result.errors?.find(isOutage) : undefined;
          if (outage) availability.failed(subgraphName, outage.message);
          else availability.answered(subgraphName);
          return result;
        } catch (err) {
          if (isOutage(err)) availability.failed(subgraphName, (err as Error).message);
          throw err;
        }
      });
    },
  };
}

/** Builds the Hive Gateway runtime over a supergraph. */
export function createEngine(options: EngineOptions): GraphQLEngine {
  const endpoint = '/graphql';
  const transportEntries = Object.fromEntries(
    Object.entries(options.subgraphUrls).map(([name, location]) => [name, { location }]),
  );
  const runtime: GatewayRuntime = createGatewayRuntime({
    supergraph: options.supergraphSdl,
    ...(options.planner === 'rust' ? { unifiedGraphHandler: rustPlanner() } : {}),
    transports: { http: httpTransport },
    transportEntries,
    graphqlEndpoint: endpoint,
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => {
        const headers: Record<string, string> = {};
        for (const name of options.forwardedHeaders) {
          const value = request.headers.get(name);
          if (value !== null) headers[name] = value;
        }
        // The gateway's own span is the parent of each subgraph call (one trace per journey);
        // without an active span the caller's trace context passes through unchanged.
        return { ...headers, ...currentTraceContext() };
      },
    },
    ...(options.upstreamTimeoutMs > 0 ? { upstreamTimeout: options.upstreamTimeoutMs } : {}),
    maskedErrors: { maskError: maskGatewayError, errorMessage: INTERNAL_ERROR_MESSAGE, isDev: false },
    plugins: () => [
      useServedOperationTypes(),
      useOperationLimits(options.limits),
      useSubgraphCalls(new SubgraphAvailability(options.log)),
      ...(options.plugins ?? []),
    ],
    // Introspection stays on (the API is documented and public to departments); the GraphiQL and
    // landing pages are off: they load scripts from a CDN and every request needs a token anyway.
    graphiql: false,
    landingPage: false,
    logging: runtimeLogger(options.log, options.logLevel),
  });
  return {
    endpoint,
    handle: (req, res) => {
      void runtime.requestListener(req, res);
    },
    ready: async () => {
      try {
        await runtime.getSchema();
      } catch (err) {
        // The Rust planner's native addon is only loaded here, with the supergraph.
        const hint =
          options.planner === 'rust'
            ? ' (if the Rust planner cannot load here, set GATEWAY_QUERY_PLANNER=js)'
            : '';
        throw new Error(`Loading the supergraph failed${hint}: ${(err as Error).message}`, { cause: err });
      }
    },
    dispose: async () => {
      await runtime.dispose();
    },
  };
}
