import { readFileSync } from 'node:fs';
import { transformSupergraphToPublicSchema } from '@theguild/federation-composition';
import {
  buildASTSchema,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  isObjectType,
  parse,
} from 'graphql';
import { SUPERGRAPH_PATH } from './compose';
import { measureOperation } from './limits';
import { LIST_MAXIMA } from './list-sizes';

const api = buildASTSchema(transformSupergraphToPublicSchema(parse(readFileSync(SUPERGRAPH_PATH, 'utf8'))));
const SLICING = ['first', 'last', 'limit'];

/** Every field of the public schema that returns a list of objects, and whether an argument slices it. */
function objectLists() {
  const found: { name: string; sliced: boolean; connectionEdges: boolean }[] = [];
  for (const type of Object.values(api.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (!isListType(getNullableType(field.type)) || !isCompositeType(getNamedType(field.type))) continue;
      found.push({
        name: `${type.name}.${field.name}`,
        sliced: field.args.some((a) => SLICING.includes(a.name)),
        // A connection's edges are sized by the slicing argument of the field returning the connection.
        connectionEdges: type.name.endsWith('Connection') && field.name === 'edges',
      });
    }
  }
  return found;
}

describe('list sizes in the cost estimate', () => {
  it('knows the real maximum of every list of objects that no argument slices', () => {
    const unknown = objectLists()
      .filter((l) => !l.sliced && !l.connectionEdges && LIST_MAXIMA[l.name] === undefined)
      .map((l) => l.name);
    expect(unknown).toEqual([]);
  });

  it('names no field that is not a list of the schema', () => {
    const lists = new Set(objectLists().map((l) => l.name));
    expect(Object.keys(LIST_MAXIMA).filter((name) => !lists.has(name))).toEqual([]);
  });

  it('counts the calendar by its first (500 unless asked), not the default page of 20', () => {
    const calendar = (first: string) =>
      parse(
        `{ calendar(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z"${first}) { id content { id } } }`,
      );
    expect(measureOperation(api, calendar('')).cost).toBe(500 * 2);
    expect(measureOperation(api, calendar(', first: 5000')).cost).toBe(5000 * 2);
  });

  it('counts the departments and a content history by their real maxima', () => {
    expect(measureOperation(api, parse('{ departments { id } }')).cost).toBe(200);
    expect(measureOperation(api, parse('{ content(id: "x") { history { at } } }')).cost).toBe(1 + 500);
  });
});
