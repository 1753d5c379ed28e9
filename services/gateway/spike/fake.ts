import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { readFileSync } from 'node:fs';
import { parse } from 'graphql';

export async function startFakes() {
  const seen: Record<string, unknown>[] = [];
  const intakeSdl = parse(readFileSync('services/intake/src/schema.graphql', 'utf8'));
  const approvalSdl = parse(readFileSync('services/approval/src/schema.graphql', 'utf8'));
  const intake = new ApolloServer({
    schema: buildSubgraphSchema({
      typeDefs: intakeSdl,
      resolvers: {
        Query: {
          content: (_: unknown, { id }: { id: string }) => {
            if (id === 'boom') throw new Error('database password is hunter2');
            return { id, title: `Title ${id}` };
          },
          departments: () => Array.from({ length: 20 }, (_, i) => ({ id: `d${i}`, code: `c${i}`, name: `n${i}`, nameHi: `h${i}` })),
        },
        Content: { __resolveReference: (r: { id: string }) => ({ id: r.id, title: `Title ${r.id}` }) },
      } as never,
    }),
  });
  const approval = new ApolloServer({
    schema: buildSubgraphSchema({
      typeDefs: approvalSdl,
      resolvers: {
        Content: {
          __resolveReference: (r: { id: string }) => ({ id: r.id }),
          approval: (c: { id: string }) => ({ id: `a-${c.id}`, state: 'PENDING', contentVersion: 1, stages: [], content: { id: c.id } }),
        },
      } as never,
    }),
  });
  const ctx = async ({ req }: { req: { headers: Record<string, unknown> } }) => {
    seen.push(req.headers);
    return {};
  };
  const a = await startStandaloneServer(intake, { listen: { port: 0 }, context: ctx as never });
  const b = await startStandaloneServer(approval, { listen: { port: 0 }, context: ctx as never });
  return { intakeUrl: a.url, approvalUrl: b.url, seen, stop: async () => { await intake.stop(); await approval.stop(); } };
}
