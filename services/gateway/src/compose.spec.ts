import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSupergraph, composeSupergraph, SUPERGRAPH_PATH } from './compose';
import { subgraphs, type Subgraph } from './subgraphs';

describe('the committed supergraph', () => {
  it('equals a fresh composition of the subgraph SDL (else run `npm run supergraph:compose`)', () => {
    expect(checkSupergraph()).toEqual({ ok: true });
  });

  it('names every subgraph with its development URL', () => {
    const sdl = readFileSync(SUPERGRAPH_PATH, 'utf8');
    for (const subgraph of subgraphs) {
      expect(sdl).toContain(`@join__graph(name: "${subgraph.name}", url: "${subgraph.defaultUrl}")`);
    }
  });
});

describe('composition', () => {
  const dir = mkdtempSync(join(tmpdir(), 'compose-'));
  const subgraph = (name: string, sdl: string): Subgraph => {
    const sdlPath = join(dir, `${name}.graphql`);
    writeFileSync(sdlPath, sdl);
    return { name, sdlPath, defaultUrl: `http://127.0.0.1:1/${name}`, urlEnv: 'UNUSED' };
  };
  const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])\n';

  it('reports a stale file', () => {
    const stale = join(dir, 'stale.graphql');
    writeFileSync(stale, '# old\n');
    const check = checkSupergraph(stale);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.reason).toMatch(/is stale.*npm run supergraph:compose/s);
  });

  it('reports composition errors readably, with their codes', () => {
    const a = subgraph(
      'a',
      `${link} type Query { item: Item } type Item @key(fields: "id") { id: ID! name: String }`,
    );
    const b = subgraph('b', `${link} type Item @key(fields: "id") { id: ID! name: Int }`);
    const result = composeSupergraph([a, b]);
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors.join('\n')).toMatch(/Item\.name/);
    expect(errors.every((e) => /^\[[A-Z_]+\] /.test(e))).toBe(true);
  });

  it('reports an SDL syntax error with the subgraph it is in', () => {
    const result = composeSupergraph([subgraph('broken', 'type Query { x: }')]);
    expect(result).toEqual({
      ok: false,
      errors: [expect.stringMatching(/^broken \(.*broken\.graphql\): Syntax Error/)],
    });
  });
});
