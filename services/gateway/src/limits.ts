// Operation limits: a caller's operation is measured against the API schema before anything is sent to a
// subgraph, and refused whole if it is too deep, too aliased, too long or too expensive.
//
// Why our own cost estimate and not Hive Gateway's `demandControl`: Hive estimates the cost of each
// subgraph fetch as the plan executes, so by the time an operation is found too expensive the first
// subgraph has already been called (measured here: the intake part of a refused query was fetched and
// returned as partial data; for a mutation it would have run). Our estimate runs once, on the caller's
// operation and variables, before execution starts.
import {
  getNamedType,
  getNullableType,
  getOperationAST,
  GraphQLError,
  isCompositeType,
  isListType,
  Kind,
  parse,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  valueFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type SelectionSetNode,
  type Source,
} from 'graphql';
import { LIST_MAXIMA } from './list-sizes';

export interface OperationLimits {
  /** Deepest field nesting allowed (introspection is bounded separately). */
  maxDepth: number;
  /** Lexical tokens in the document. */
  maxTokens: number;
  /** Aliased fields in the operation (aliases are how one request multiplies work). */
  maxAliases: number;
  /** Estimated cost, see measureOperation. */
  maxCost: number;
}

/**
 * The assumed length of a list of leaves (strings, enums) that no argument sizes; lists of objects
 * are sized by their slicing argument or their real maximum (list-sizes.ts).
 */
export const DEFAULT_LIST_SIZE = 20;
/** A mutation's fixed cost on top of its selections: it writes. */
export const MUTATION_COST = 10;
/** Arguments that bound a list: on the list field itself, or on a connection field above its `edges`. */
const SLICING_ARGUMENTS = ['first', 'last', 'limit'];

export interface OperationMeasure {
  depth: number;
  aliases: number;
  cost: number;
}

const ZERO: OperationMeasure = { depth: 0, aliases: 0, cost: 0 };

/**
 * Measures the operation that will execute. Cost: every field returning an object costs 1, leaves cost
 * nothing, and a list multiplies everything below it by its size (its `first`/`last`/`limit` argument,
 * from a literal, a variable or the argument's default, else DEFAULT_LIST_SIZE); a connection's slicing
 * argument sizes the lists directly inside it (`edges`). Introspection counts towards neither depth
 * nor cost (the standard introspection query is 15 levels deep): graphql-js's own validation
 * (MaxIntrospectionDepthRule) already bounds its list nesting. Fragments are measured once per
 * context, so fragment fan-out cannot make the measurement itself expensive.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string | null,
  variables?: Record<string, unknown> | null,
  listMaxima: Readonly<Record<string, number>> = LIST_MAXIMA,
): OperationMeasure {
  const operation = getOperationAST(document, operationName);
  if (!operation) return ZERO;
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return ZERO;

  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const memo = new Map<string, OperationMeasure>();
  const inProgress = new Set<string>();
  const vars = variables ?? {};

  function fieldDefinition(
    parent: GraphQLCompositeType,
    name: string,
  ): GraphQLField<unknown, unknown> | undefined {
    if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
    if (parent === schema.getQueryType()) {
      if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
      if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
    }
    return 'getFields' in parent ? parent.getFields()[name] : undefined;
  }

  function slicingSize(node: FieldNode, definition: GraphQLField<unknown, unknown>): number | undefined {
    for (const name of SLICING_ARGUMENTS) {
      const argument = definition.args.find((a) => a.name === name);
      if (!argument) continue;
      const given = node.arguments?.find((a) => a.name.value === name);
      const value = given ? valueFromAST(given.value, argument.type, vars) : argument.defaultValue;
      if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, value);
    }
    return undefined;
  }

  function selections(
    set: SelectionSetNode,
    parent: GraphQLCompositeType,
    introspection: boolean,
    slice?: number,
  ): OperationMeasure {
    const total = { ...ZERO };
    const add = (m: OperationMeasure) => {
      total.depth = Math.max(total.depth, m.depth);
      total.aliases += m.aliases;
      total.cost += m.cost;
    };
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        add(field(selection, parent, introspection, slice));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition
          ? schema.getType(selection.typeCondition.name.value)
          : parent;
        if (condition && isCompositeType(condition))
          add(selections(selection.selectionSet, condition, introspection, slice));
      } else {
        add(fragment(selection.name.value, introspection, slice));
      }
    }
    return total;
  }

  function fragment(name: string, introspection: boolean, slice?: number): OperationMeasure {
    const key = `${name}|${introspection}|${slice ?? ''}`;
    const known = memo.get(key);
    if (known) return known;
    const definition = fragments.get(name);
    // Unknown or cyclic fragments fail validation before execution; measuring them as empty is safe.
    if (!definition || inProgress.has(key)) return ZERO;
    const condition = schema.getType(definition.typeCondition.name.value);
    if (!condition || !isCompositeType(condition)) return ZERO;
    inProgress.add(key);
    const measure = selections(definition.selectionSet, condition, introspection, slice);
    inProgress.delete(key);
    memo.set(key, measure);
    return measure;
  }

  function field(
    node: FieldNode,
    parent: GraphQLCompositeType,
    introspection: boolean,
    slice?: number,
  ): OperationMeasure {
    const definition = fieldDefinition(parent, node.name.value);
    if (!definition) return ZERO;
    const inIntrospection =
      introspection || definition === SchemaMetaFieldDef || definition === TypeMetaFieldDef;
    const isList = isListType(getNullableType(definition.type));
    const ownSlice = slicingSize(node, definition);
    const namedType = getNamedType(definition.type);
    const children =
      node.selectionSet && isCompositeType(namedType)
        ? selections(node.selectionSet, namedType, inIntrospection, isList ? undefined : ownSlice)
        : ZERO;
    const aliases = children.aliases + (node.alias ? 1 : 0);
    if (inIntrospection) return { depth: 0, cost: 0, aliases };
    const size = isList
      ? (ownSlice ?? slice ?? listMaxima[`${parent.name}.${definition.name}`] ?? DEFAULT_LIST_SIZE)
      : 1;
    return {
      depth: children.depth + 1,
      cost: ((isCompositeType(namedType) ? 1 : 0) + children.cost) * size,
      aliases,
    };
  }

  const measure = selections(operation.selectionSet, rootType, false);
  return { ...measure, cost: measure.cost + (operation.operation === 'mutation' ? MUTATION_COST : 0) };
}

/** A limit a request broke, in the contract's violation shape ({ field, rule, message }). */
export interface LimitViolation {
  field: string;
  rule: string;
  message: string;
}

/** The limits an operation's measure breaks (empty when it may run). */
export function limitViolations(measure: OperationMeasure, limits: OperationLimits): LimitViolation[] {
  const violations: LimitViolation[] = [];
  const check = (rule: string, actual: number, max: number, what: string) => {
    if (actual > max)
      violations.push({ field: 'query', rule, message: `${what} is ${actual}; the limit is ${max}` });
  };
  check('maxDepth', measure.depth, limits.maxDepth, 'The operation nesting depth');
  check('maxAliases', measure.aliases, limits.maxAliases, 'The number of aliased fields');
  check('maxCost', measure.cost, limits.maxCost, 'The estimated cost');
  return violations;
}

/** The error that refuses a request breaking a limit: BAD_USER_INPUT with the violations, as the contract says. */
export function limitError(violations: LimitViolation[]): GraphQLError {
  return new GraphQLError(`Operation refused: ${violations.map((v) => v.message).join('; ')}`, {
    extensions: { code: 'BAD_USER_INPUT', violations },
  });
}

/** Parses a document, refusing one longer than maxTokens before the parser builds it. */
export function parseWithTokenLimit(source: string | Source, maxTokens: number): DocumentNode {
  try {
    return parse(source, { maxTokens });
  } catch (err) {
    if (err instanceof GraphQLError && /tokens\. Parsing aborted\.$/.test(err.message)) {
      throw limitError([
        {
          field: 'query',
          rule: 'maxTokens',
          message: `The document is longer than the limit of ${maxTokens} tokens`,
        },
      ]);
    }
    throw err;
  }
}
