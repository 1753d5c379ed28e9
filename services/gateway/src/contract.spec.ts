// The supergraph against the project's copy of the public contract: every gap must be allow-listed, and every
// allow-list entry must still be a gap, so the list only shrinks.
import { buildSchema } from 'graphql';
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import {
  CONTRACT_PATH,
  currentContractGaps,
  documentedErrorCodes,
  findContractGaps,
  readAllowlist,
} from './contract';

describe('the supergraph keeps the public contract', () => {
  const gaps = currentContractGaps();
  const allowed = readAllowlist().missing;

  it("reads the contract from the project's own copy, not from outside the repository", () => {
    expect(existsSync(CONTRACT_PATH)).toBe(true);
    expect(relative(resolve(__dirname, '../../..'), CONTRACT_PATH)).toBe('docs/api-contract.graphql');
  });

  it('has no gap other than the allow-listed ones', () => {
    const unexpected = gaps.filter((g) => !allowed.includes(g.key)).map((g) => `${g.key}: ${g.problem}`);
    expect(unexpected).toEqual([]);
  });

  it('has no stale allow-list entry (delete the entries the supergraph now has)', () => {
    const keys = new Set(gaps.map((g) => g.key));
    expect(allowed.filter((entry) => !keys.has(entry))).toEqual([]);
    expect(new Set(allowed).size).toBe(allowed.length);
  });
});

describe('findContractGaps', () => {
  const contract = buildSchema(`
    scalar DateTime
    enum State { OPEN CLOSED }
    input Filter { state: State, limit: Int = 20 }
    type Item { id: ID! state: State! at: DateTime }
    type Gone { id: ID! }
    type Query {
      items(filter: Filter, first: Int = 20): [Item!]!
      item(id: ID!): Item
      gone: Gone
    }
  `);

  it('finds nothing when the API matches and only adds optional things', () => {
    const api = buildSchema(`
      scalar DateTime
      enum State { OPEN CLOSED ARCHIVED }
      input Filter { state: State, limit: Int = 20, text: String }
      type Item { id: ID! state: State! at: DateTime extra: String }
      type Gone { id: ID! }
      type Query {
        items(filter: Filter, first: Int = 20, after: String): [Item!]!
        item(id: ID!): Item
        gone: Gone
        more: Int
      }
    `);
    expect(findContractGaps(contract, api)).toEqual([]);
  });

  it('names every missing or mistyped element by coordinate', () => {
    const api = buildSchema(`
      enum State { OPEN }
      input Filter { state: String, required: Int! }
      type Item { id: ID state: State! }
      type Query {
        items(filter: Filter, first: Int = 10, extra: ID!): [Item!]!
        item: Item
      }
    `);
    expect(findContractGaps(contract, api).map((g) => `${g.key}: ${g.problem}`)).toEqual([
      'Filter.limit: missing (contract: Int = 20)',
      'Filter.required: is required (Int!) but not in the contract of Filter',
      'Filter.state: is String, contract says State',
      'Item.at: missing field (contract: DateTime)',
      'Item.id: is ID, contract says ID!',
      'Query.gone: missing field (contract: Gone)',
      'Query.item(id:): missing (contract: ID!)',
      'Query.items(extra:): is required (ID!) but not in the contract of Query.items',
      'Query.items(first:): is Int = 10, contract says Int = 20',
      'State.CLOSED: missing enum value',
      'type:DateTime: missing scalar type',
      'type:Gone: missing object type',
    ]);
  });

  it('reports a type of another kind once, as the type', () => {
    const api = buildSchema('type State { id: ID } type Query { x: Int }');
    expect(findContractGaps(contract, api).filter((g) => g.key === 'type:State')).toEqual([
      { key: 'type:State', problem: 'is of kind object, contract says enum' },
    ]);
  });
});

describe('documentedErrorCodes', () => {
  it('reads the code list of the contract header', () => {
    const codes = documentedErrorCodes();
    expect(codes).toEqual(expect.arrayContaining(['BAD_USER_INPUT', 'UNAVAILABLE', 'INTERNAL_SERVER_ERROR']));
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('stops at the first definition and needs two spaces after a code', () => {
    const sdl = [
      '# Errors: one of',
      '#   NOT_FOUND      no such object',
      '# see NOT_A_CODE below',
      '#   CONFLICT       the state does not allow it',
      'scalar X',
      '#   LATER          not in the header',
    ].join('\n');
    expect(documentedErrorCodes(sdl)).toEqual(['NOT_FOUND', 'CONFLICT']);
  });
});
