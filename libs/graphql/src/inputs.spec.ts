import { ApolloServer } from '@apollo/server';
import { buildSchema, parse } from 'graphql';
import { inputValidationPlugin, inputViolations } from './inputs';

const schema = buildSchema(`
  input ContentInput { title: String!, targetAccountIds: [ID!]!, tags: [String!] }
  type Content { id: ID!, title: String! }
  type Query { content(id: ID!): Content, search(text: String, first: Int): [Content!]! }
  type Mutation { createContent(departmentId: ID!, input: ContentInput!): Content! }
`);

describe('inputViolations', () => {
  const create = 'mutation($d: ID!, $i: ContentInput!) { createContent(departmentId: $d, input: $i) { id } }';
  const good = { title: 'Kisan', targetAccountIds: ['x-agri-1', '7f1c1f0e-3f1a-4c38-9a39-7d2b1a0c9e11'] };

  it('finds nothing in well-formed input', () => {
    expect(
      inputViolations(schema, parse(create), undefined, { d: 'd1', i: { ...good, tags: ['a\u0001b'] } }),
    ).toEqual([]);
    expect(inputViolations(schema, parse('{ search(text: "ok", first: 3) { id } }'))).toEqual([]);
  });

  it('refuses a NUL character in any text, from a variable or a literal, naming the field', () => {
    expect(
      inputViolations(schema, parse(create), undefined, {
        d: 'd1',
        i: { ...good, title: 'a\u0000b', tags: ['ok', '\u0000'] },
      }),
    ).toEqual([
      { field: 'input.title', rule: 'noNul', message: 'input.title must not contain a NUL character' },
      { field: 'input.tags[1]', rule: 'noNul', message: 'input.tags[1] must not contain a NUL character' },
    ]);
    const literal = parse('query Q { search(text: "x\\u0000y") { id } }');
    expect(inputViolations(schema, literal, 'Q').map((v) => v.field)).toEqual(['text']);
  });

  it('refuses a malformed ID (NUL, spaces, empty, over 128 characters) in arguments and lists', () => {
    for (const bad of ['a\u0000', 'a b', '', 'x'.repeat(129), 'tab\there']) {
      const violations = inputViolations(schema, parse(create), undefined, {
        d: bad,
        i: { ...good, targetAccountIds: ['ok', bad] },
      });
      expect(violations.map((v) => `${v.field}:${v.rule}`)).toEqual([
        'departmentId:idFormat',
        'input.targetAccountIds[1]:idFormat',
      ]);
    }
  });

  it('checks arguments inside fragments and leaves values that do not coerce to validation', () => {
    const document = parse(
      'query { ...F } fragment F on Query { content(id: "a b") { id } search(text: 5) { id } }',
    );
    expect(inputViolations(schema, document).map((v) => v.field)).toEqual(['id']);
  });
});

describe('inputValidationPlugin', () => {
  it('refuses the operation before any resolver runs, with BAD_USER_INPUT and the violations', async () => {
    let resolved = 0;
    const server = new ApolloServer({
      schema,
      rootValue: {
        createContent: () => {
          resolved++;
          return { id: '1', title: 't' };
        },
      },
      plugins: [inputValidationPlugin()],
    });
    await server.start();
    const response = await server.executeOperation({
      query:
        'mutation { createContent(departmentId: "d1", input: { title: "a\\u0000", targetAccountIds: [] }) { id } }',
    });
    await server.stop();
    expect(resolved).toBe(0);
    expect(response.http.status).toBe(400);
    const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
    expect(result?.errors).toEqual([
      expect.objectContaining({
        extensions: expect.objectContaining({
          code: 'BAD_USER_INPUT',
          violations: [expect.objectContaining({ field: 'input.title', rule: 'noNul' })],
        }),
      }),
    ]);
  });
});
