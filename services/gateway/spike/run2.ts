import { exportJWK, generateKeyPair } from 'jose';
import { signDevToken } from '@prasar/auth';
import { loadConfig } from '@prasar/config';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { gatewayShape } from '../src/config';
import { createGatewayServer, shutdownGatewayServer } from '../src/server';
import { startFakes } from './fake';

async function main() {
  const fakes = await startFakes();
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const dir = mkdtempSync(join(tmpdir(), 'gw-'));
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] }));
  const token = await signDevToken({ ...(await exportJWK(privateKey)), kid: 'k', alg: 'ES256' }, { subject: 'u', roles: ['IT_CELL_ADMIN'] }, 'iss', 'aud');
  const config = loadConfig(gatewayShape, { AUTH_JWKS_FILE: join(dir, 'jwks.json'), AUTH_ISSUER: 'iss', AUTH_AUDIENCE: 'aud', INTAKE_URL: fakes.intakeUrl, APPROVAL_URL: fakes.approvalUrl, GATEWAY_QUERY_PLANNER: process.argv[2] ?? 'rust', LOG_LEVEL: 'warn' });
  const server = await createGatewayServer({ config, log: pino({ level: 'warn' }) });
  await new Promise<void>((r) => server.listen(0, r));
  const port = (server.address() as { port: number }).port;
  const q = async (query: string, auth: string | null = `Bearer ${token}`, extra: Record<string,string> = {}) => {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}), ...extra }, body: JSON.stringify({ query }) });
    process.stdout.write(`${res.status} ${(await res.text()).slice(0, 600)}\n`);
  };
  await q('{ content(id: "c1") { title approval { state } } }', null);
  await q('{ content(id: "c1") { title approval { state } } }', 'Bearer garbage');
  await q('{ content(id: "c1") { title approval { state } } }', undefined, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
  process.stdout.write(JSON.stringify(fakes.seen.map((h) => [h.authorization ? 'auth' : 'noauth', h.traceparent])) + '\n');
  await q('{ content(id: "boom") { title approval { state } } }');
  await q('{ nope }');
  await q('{ content(id: "x") { approval { content { approval { content { approval { content { approval { content { approval { content { approval { content { id } } } } } } } } } } } } }');
  await q('{ departments { id } ' + Array.from({length: 31}, (_, i) => `a${i}: viewer { name }`).join(' ') + ' }');
  await q('{ ' + 'viewer { name } '.repeat(700) + '}');
  await q(require('graphql').getIntrospectionQuery());
  await q('{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }');
  await q('{ departments { id } }', `Bearer ${token}`, { accept: 'application/graphql-response+json' });
  await q('{ departments { id name } ', `Bearer ${token}`);
  const h = await fetch(`http://127.0.0.1:${port}/healthz`); process.stdout.write(`healthz ${h.status}\n`);
  await shutdownGatewayServer(server);
  await fakes.stop();
}
main().catch((e) => { process.stderr.write(String(e.stack)); process.exit(1); });
