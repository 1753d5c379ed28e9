// The GraphQL client: urql with Graphcache, a normalized cache (README: why urql), on the console's
// own origin (/graphql, passed to the gateway by the console server) with the person's token.
import { cacheExchange } from '@urql/exchange-graphcache';
import { Client, fetchExchange } from 'urql';

/** Types without an id of their own live inside their parent's cache entry. */
const EMBEDDED = [
  'Viewer',
  'LocalizedText',
  'PlatformVariant',
  'Violation',
  'ApprovalStage',
  'StageDecision',
  'ContentConnection',
  'ContentEdge',
  'PageInfo',
];

export function createClient(graphqlPath: string, token: () => string | undefined): Client {
  return new Client({
    url: graphqlPath,
    exchanges: [
      cacheExchange({
        keys: Object.fromEntries(EMBEDDED.map((t) => [t, () => null])),
        updates: {
          Mutation: {
            // Lists change on the server after these: fetch them again when next shown.
            createContent: (_r, _a, cache) => cache.invalidate('Query', 'contents'),
            submitContent: (_r, _a, cache) => cache.invalidate('Query', 'contents'),
            decide: (_r, _a, cache) => {
              cache.invalidate('Query', 'approvalInbox');
              cache.invalidate('Query', 'contents');
            },
          },
        },
      }),
      fetchExchange,
    ],
    fetchOptions: (): RequestInit => {
      const t = token();
      const headers: Record<string, string> = t ? { authorization: `Bearer ${t}` } : {};
      return { headers };
    },
    preferGetMethod: false,
  });
}
