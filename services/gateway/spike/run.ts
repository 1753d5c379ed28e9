import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import * as http from '@graphql-mesh/transport-http';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { startFakes } from './fake';

async function main() {
  const fakes = await startFakes();
  const planner = process.argv[2] ?? 'rust';
  const rt = createGatewayRuntime({
    supergraph: readFileSync('services/gateway/supergraph.graphql', 'utf8'),
    transports: { http },
    transportEntries: { intake: { location: fakes.intakeUrl }, approval: { location: fakes.approvalUrl } },
    ...(planner === 'rust' ? { unifiedGraphHandler } : {}),
    propagateHeaders: { fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') ?? undefined }) },
    logging: 'warn',
    demandControl: { maxCost: 2, listSize: 10, includeExtensionMetadata: true },
  });
  const server = createServer(rt);
  await new Promise<void>((r) => server.listen(0, r));
  const port = (server.address() as { port: number }).port;
  const q = async (query: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer xyz' }, body: JSON.stringify({ query }) });
    process.stdout.write(`${res.status} ${await res.text()}\n`);
  };
  await q('{ content(id: "c1") { title approval { state } } }');
  fakes.seen.length = 0;
  await q('{ content(id: "boom") { title approval { state } } }');
  await q('{ departments { id name } }');
  await q('{ nope }');
  process.stdout.write(`seen ${fakes.seen.length}\n`);
  await q('{ departments { id } content(id: "x") { approval { stages { decisions { by } } } } }');
  process.stdout.write(`seen ${fakes.seen.length}\n`);
  server.close();
  await rt.dispose();
  await fakes.stop();
}
main().catch((e) => { process.stderr.write(String(e.stack)); process.exit(1); });
