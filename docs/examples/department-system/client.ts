// A department's own system calling Prasar: it obtains an access token with its integration
// client's id and secret (OAuth 2.0 client credentials), then sends typed GraphQL operations to
// the gateway. Run it with the credentials the IT cell gave you:
//
//   PRASAR_GATEWAY_URL=http://127.0.0.1:4000/graphql \
//   PRASAR_TOKEN_URL=http://127.0.0.1:18080/realms/prasar/protocol/openid-connect/token \
//   PRASAR_CLIENT_ID=prasar-int-agriculture-… PRASAR_CLIENT_SECRET=… \
//   node scripts/run-ts.mjs docs/examples/department-system/client.ts
//
// Nothing here is Prasar-specific tooling: fetch, graphql's print and the TypedDocumentNodes that
// `npm run codegen` generates from operations.graphql.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { randomUUID } from 'node:crypto';
import { CreateDraftDocument, DraftsDocument, WhoAmIDocument } from './generated';

export interface Settings {
  gatewayUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
}

/** A refusal from the API: its contract code (BAD_USER_INPUT, UNAUTHENTICATED, …) and message. */
export class PrasarError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A small client: one token at a time, renewed a little before it expires. */
export class PrasarClient {
  private token?: { value: string; until: number };

  constructor(private readonly settings: Settings) {}

  private async accessToken(): Promise<string> {
    if (this.token && this.token.until > Date.now()) return this.token.value;
    const res = await fetch(this.settings.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.settings.clientId,
        client_secret: this.settings.clientSecret,
      }),
    });
    const body = (await res.json()) as { access_token?: string; expires_in?: number; error?: string };
    if (!res.ok || !body.access_token) throw new PrasarError('UNAUTHENTICATED', `no token: ${body.error}`);
    this.token = { value: body.access_token, until: Date.now() + ((body.expires_in ?? 60) - 30) * 1000 };
    return body.access_token;
  }

  /** Sends one operation; the result type follows from the document. */
  async request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
  ): Promise<TResult> {
    const res = await fetch(this.settings.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await this.accessToken()}` },
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await res.json()) as {
      data?: TResult;
      errors?: { message: string; extensions?: { code?: string } }[];
    };
    if (body.errors?.length) {
      const [first] = body.errors;
      throw new PrasarError(first.extensions?.code ?? 'UNKNOWN', first.message);
    }
    return body.data as TResult;
  }
}

/** What the example does: who am I, create a Hindi achievement draft (safe to retry), list drafts. */
export async function runExample(settings: Settings, log: (line: string) => void = () => {}) {
  const prasar = new PrasarClient(settings);
  const { viewer } = await prasar.request(WhoAmIDocument, {});
  const department = viewer.department;
  if (!department) throw new PrasarError('FORBIDDEN', 'this client has no department');
  log(`signed in as ${viewer.name} (${viewer.roles.join(', ')}) of ${department.nameHi}`);

  // One key per piece of work: a retry after a timeout returns the same draft, never a second one.
  const idempotencyKey = randomUUID();
  const input = {
    kind: 'ACHIEVEMENT' as const,
    title: 'Soil health cards',
    body: [{ language: 'HI' as const, text: 'जिले में 12,000 किसानों को मृदा स्वास्थ्य कार्ड वितरित किए गए।' }],
    targetAccountIds: [],
  };
  const first = await prasar.request(CreateDraftDocument, {
    departmentId: department.id,
    input,
    idempotencyKey,
  });
  const retry = await prasar.request(CreateDraftDocument, {
    departmentId: department.id,
    input,
    idempotencyKey,
  });
  log(
    `draft ${first.createContent.id} (${first.createContent.status}); the retry returned ${retry.createContent.id}`,
  );

  const { contents } = await prasar.request(DraftsDocument, { first: 20 });
  const drafts = contents.edges.map((e) => e.node);
  log(`${drafts.length} draft(s) in the department`);
  return { viewer, created: first.createContent, retried: retry.createContent, drafts };
}

if (require.main === module) {
  const need = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`set ${name}`);
    return value;
  };
  runExample(
    {
      gatewayUrl: process.env.PRASAR_GATEWAY_URL ?? 'http://127.0.0.1:4000/graphql',
      tokenUrl: need('PRASAR_TOKEN_URL'),
      clientId: need('PRASAR_CLIENT_ID'),
      clientSecret: need('PRASAR_CLIENT_SECRET'),
    },
    (line) => process.stdout.write(`${line}\n`),
  ).catch((err) => {
    process.stderr.write(`${err instanceof PrasarError ? `${err.code}: ` : ''}${(err as Error).message}\n`);
    process.exit(1);
  });
}
