// What every subgraph checks of a caller's input before a resolver (and so the database) sees it:
// text without NUL characters (PostgreSQL refuses 0x00 in text: "invalid byte sequence for encoding
// UTF8"), and IDs that are well-formed. One check for every argument and input field of every
// operation, literal or variable, so no service has to remember it.
import type { ApolloServerPlugin } from '@apollo/server';
import {
  getNamedType,
  getNullableType,
  getOperationAST,
  GraphQLError,
  GraphQLID,
  GraphQLString,
  isInputObjectType,
  isListType,
  Kind,
  TypeInfo,
  valueFromAST,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';

/** A problem with one input value, in the contract's violation shape. */
export interface InputViolation {
  field: string;
  rule: 'noNul' | 'idFormat';
  message: string;
}

/**
 * An ID: 1 to 128 visible characters without spaces (UUIDs, the platforms' account ids, codes).
 * Services that key by UUID answer a well-formed non-UUID id as NOT_FOUND, like a missing one.
 */
const ID_FORMAT = /^[\x21-\x7e]{1,128}$/;
const NUL = '\u0000';

/** At most this many violations are reported: a long list of bad values is one refusal. */
const MAX_VIOLATIONS = 20;

function checkValue(value: unknown, type: GraphQLInputType, field: string, out: InputViolation[]): void {
  if (value === null || value === undefined || out.length >= MAX_VIOLATIONS) return;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    if (Array.isArray(value))
      value.forEach((item, i) => checkValue(item, nullable.ofType, `${field}[${i}]`, out));
    else checkValue(value, nullable.ofType, field, out);
    return;
  }
  if (isInputObjectType(nullable)) {
    if (typeof value !== 'object') return;
    const fields = nullable.getFields();
    for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
      const definition = fields[name];
      if (definition) checkValue(item, definition.type, `${field}.${name}`, out);
    }
    return;
  }
  if (typeof value !== 'string') return;
  const named = getNamedType(nullable);
  if (named === GraphQLID && !ID_FORMAT.test(value)) {
    out.push({
      field,
      rule: 'idFormat',
      message: `${field} is not a well-formed ID (1 to 128 visible characters, no spaces or control characters)`,
    });
  } else if (named === GraphQLString && value.includes(NUL)) {
    out.push({ field, rule: 'noNul', message: `${field} must not contain a NUL character` });
  }
  // Custom scalars (DateTime) parse their own strings.
}

/**
 * Every violation in the arguments of the operation that will run, literal or from variables. A value
 * that does not coerce is left to GraphQL's own validation.
 */
export function inputViolations(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string | null,
  variables?: Record<string, unknown> | null,
): InputViolation[] {
  const operation = getOperationAST(document, operationName);
  if (!operation) return [];
  const out: InputViolation[] = [];
  const typeInfo = new TypeInfo(schema);
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  const check = (node: (typeof document.definitions)[number]) =>
    visit(
      node,
      visitWithTypeInfo(typeInfo, {
        Argument(argument) {
          const definition = typeInfo.getArgument();
          if (!definition) return;
          const value = valueFromAST(argument.value, definition.type, variables ?? {});
          checkValue(value, definition.type, argument.name.value, out);
        },
      }),
    );
  check(operation);
  for (const fragment of fragments) check(fragment);
  return out;
}

/** The error that refuses such input: BAD_USER_INPUT with the violations, before any resolver runs. */
export function inputError(violations: InputViolation[]): GraphQLError {
  return new GraphQLError(`Invalid input: ${violations.map((v) => v.message).join('; ')}`, {
    extensions: { code: 'BAD_USER_INPUT', violations, http: { status: 400 } },
  });
}

/** The subgraph plugin: refuses an operation with bad input before it executes. */
export function inputValidationPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operationName, request }) {
          const violations = inputViolations(schema, document, operationName, request.variables);
          if (violations.length > 0) throw inputError(violations);
        },
      };
    },
  };
}
