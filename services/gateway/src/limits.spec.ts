import { buildSchema, getIntrospectionQuery, GraphQLError, parse } from 'graphql';
import {
  DEFAULT_LIST_SIZE,
  limitViolations,
  measureOperation,
  MUTATION_COST,
  parseWithTokenLimit,
} from './limits';

const schema = buildSchema(`
  type Query {
    content(id: ID!): Content
    contents(first: Int = 20, after: String): ContentConnection!
    departments: [Department!]!
    recent(limit: Int): [Content!]!
  }
  type Mutation { submitContent(id: ID!): Content! }
  type Department { id: ID! name: String! contents: [Content!]! }
  type Content { id: ID! title: String! department: Department! tags: [String!]! }
  type ContentEdge { node: Content! cursor: String! }
  type PageInfo { hasNextPage: Boolean! }
  type ContentConnection { edges: [ContentEdge!]! pageInfo: PageInfo! totalCount: Int! }
`);

// This schema's lists have no known maxima (list-sizes.ts is about the real supergraph).
const measure = (query: string, variables?: Record<string, unknown>, operationName?: string) =>
  measureOperation(schema, parse(query), operationName, variables, {});

describe('measureOperation', () => {
  it('counts depth through inline fragments and named fragments', () => {
    expect(measure('{ content(id: 1) { id } }').depth).toBe(2);
    expect(measure('{ content(id: 1) { department { contents { id } } } }').depth).toBe(4);
    expect(
      measure('{ content(id: 1) { ...F } } fragment F on Content { department { ... on Department { id } } }')
        .depth,
    ).toBe(3);
  });

  it('leaves introspection out of depth and cost', () => {
    const m = measure(getIntrospectionQuery());
    expect(m.depth).toBe(0);
    expect(m.cost).toBe(0);
    expect(measure('{ __typename content(id: 1) { __typename } }')).toEqual({
      depth: 2,
      aliases: 0,
      cost: 1,
    });
  });

  it('counts aliases, including those inside fragments', () => {
    expect(
      measure('{ a: content(id: 1) { t: title } b: content(id: 2) { ...F } } fragment F on Content { x: id }')
        .aliases,
    ).toBe(4);
  });

  it('weights lists by their slicing argument, a variable, the argument default or the default size', () => {
    // departments: 20 × (1 + contents: 20 × 1)
    expect(measure('{ departments { id contents { id } } }').cost).toBe(
      DEFAULT_LIST_SIZE * (1 + DEFAULT_LIST_SIZE),
    );
    expect(measure('{ recent(limit: 3) { department { id } } }').cost).toBe(3 * 2);
    expect(measure('query($n: Int) { recent(limit: $n) { id } }', { n: 7 }).cost).toBe(7);
    // A connection's `first` sizes its edges: 1 (connection) + first × (edge 1 + node 1) + pageInfo 1.
    expect(measure('{ contents(first: 50) { edges { node { id } } pageInfo { hasNextPage } } }').cost).toBe(
      1 + 50 * 2 + 1,
    );
    expect(measure('{ contents { edges { node { id } } } }').cost).toBe(1 + 20 * 2);
    expect(measure('query($f: Int) { contents(first: $f) { edges { cursor } } }', { f: 1000 }).cost).toBe(
      1 + 1000,
    );
  });

  it('adds the mutation cost and measures only the chosen operation', () => {
    const doc = 'query A { departments { id } } mutation B { submitContent(id: 1) { id } }';
    expect(measure(doc, {}, 'A').cost).toBe(DEFAULT_LIST_SIZE);
    expect(measure(doc, {}, 'B').cost).toBe(MUTATION_COST + 1);
  });

  it('measures a fragment fan-out without walking it exponentially', () => {
    // F0 spreads F1 twice, F1 spreads F2 twice, ...: 2^40 paths if walked naively.
    const fragments = Array.from(
      { length: 40 },
      (_, i) => `fragment F${i} on Content { department { id } ...F${i + 1} ...F${i + 1} }`,
    ).join('\n');
    const started = Date.now();
    const m = measure(`{ content(id: 1) { ...F0 } } ${fragments} fragment F40 on Content { id }`);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(m.cost).toBeGreaterThan(1e12);
  });
});

describe('limitViolations', () => {
  const limits = { maxDepth: 3, maxTokens: 100, maxAliases: 1, maxCost: 10 };

  it('is empty within the limits and names each broken one', () => {
    expect(limitViolations({ depth: 3, aliases: 1, cost: 10 }, limits)).toEqual([]);
    expect(limitViolations({ depth: 4, aliases: 2, cost: 11 }, limits)).toEqual([
      { field: 'query', rule: 'maxDepth', message: 'The operation nesting depth is 4; the limit is 3' },
      { field: 'query', rule: 'maxAliases', message: 'The number of aliased fields is 2; the limit is 1' },
      { field: 'query', rule: 'maxCost', message: 'The estimated cost is 11; the limit is 10' },
    ]);
  });
});

describe('parseWithTokenLimit', () => {
  it('parses a document within the limit', () => {
    expect(parseWithTokenLimit('{ content(id: 1) { id } }', 20).definitions).toHaveLength(1);
  });

  it('refuses a longer one with BAD_USER_INPUT and a maxTokens violation', () => {
    expect.assertions(3);
    try {
      parseWithTokenLimit('{ a b c d e f }', 5);
    } catch (err) {
      expect(err).toBeInstanceOf(GraphQLError);
      expect((err as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
      expect((err as GraphQLError).extensions.violations).toEqual([
        expect.objectContaining({ rule: 'maxTokens' }),
      ]);
    }
  });

  it('leaves ordinary syntax errors alone', () => {
    expect(() => parseWithTokenLimit('{ a ', 100)).toThrow(/Syntax Error/);
  });
});
