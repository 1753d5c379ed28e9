import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import { createCounter, createDurationHistogram, startTimer } from '@prasar/telemetry';
import { errorCodeOf } from './errors';

type Labels = { operation_type: string; root_field: string };

let instruments:
  | {
      operations: ReturnType<typeof createCounter<Labels & { outcome: string; error_code: string }>>;
      duration: ReturnType<typeof createDurationHistogram<Labels>>;
    }
  | undefined;

function metrics() {
  instruments ??= {
    operations: createCounter<Labels & { outcome: string; error_code: string }>(
      'prasar_graphql_operations',
      'GraphQL operations served, by type, first root field (bounded by the schema), outcome and error code',
    ),
    duration: createDurationHistogram<Labels>(
      'prasar_graphql_operation_duration',
      'Time to serve a GraphQL operation',
    ),
  };
  return instruments;
}

/** The root field that names an operation in metrics: bounded by the schema, unlike client-chosen names. */
function rootFieldOf(op: OperationDefinitionNode | undefined): string {
  const first = op?.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
  return first && first.kind === Kind.FIELD ? first.name.value : 'unknown';
}

/** Rate, errors and duration per GraphQL operation (RED), labelled by its root field. */
export function operationMetricsPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const elapsed = startTimer();
      return {
        async willSendResponse({ operation, errors }) {
          const labels = {
            operation_type: operation?.operation ?? 'unknown',
            root_field: rootFieldOf(operation ?? undefined),
          };
          const code = errors?.length ? errorCodeOf(errors[0]) : 'none';
          const m = metrics();
          m.operations.add(1, { ...labels, outcome: errors?.length ? 'error' : 'ok', error_code: code });
          m.duration.record(elapsed(), labels);
        },
      };
    },
  };
}
