// The simulator as the stack starts it (a process, via stack.cjs) and this library's client for it.
import type { ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { platformSim, verifyMetaSignature, type PlatformSim } from './platform-sim';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const stack = require('./stack.cjs') as {
  SERVICES: { name: string; port: number; graphql?: boolean; db?: string }[];
  SIM_DEV_ADMIN_TOKEN: string;
  simAdminToken: () => string;
  serviceEnv: (service: unknown, infra: object, ports?: Record<string, number>) => Record<string, string>;
  spawnService: (service: unknown, infra: object, opts: { ports: Record<string, number> }) => ChildProcess;
  waitHealthy: (name: string, port: number, child: ChildProcess, timeoutMs?: number) => Promise<void>;
};

const simService = stack.SERVICES.find((s) => s.name === 'platform-sim')!;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('stack.cjs: platform-sim', () => {
  it('starts first, on 4900, without a database, with its admin token; every service learns its base URL', () => {
    expect(stack.SERVICES[0]).toMatchObject({ name: 'platform-sim', port: 4900, graphql: false });
    expect(simService.db).toBeUndefined();
    const own = stack.serviceEnv(simService, {}, {});
    expect(own.SIM_ADMIN_TOKEN).toBe(stack.simAdminToken());
    expect(stack.simAdminToken()).toBe(process.env.SIM_ADMIN_TOKEN || stack.SIM_DEV_ADMIN_TOKEN);
    const gateway = stack.serviceEnv(
      stack.SERVICES.find((s) => s.name === 'gateway'),
      {},
      { 'platform-sim': 4999 },
    );
    expect(gateway.PLATFORM_SIM_URL).toBe('http://127.0.0.1:4999');
    expect(gateway.SIM_ADMIN_TOKEN).toBe(process.env.SIM_ADMIN_TOKEN);
    expect(gateway.INTAKE_URL).toBe('http://127.0.0.1:4101/graphql');
  });
});

describe('platformSim client against the simulator process', () => {
  let child: ChildProcess;
  let sim: PlatformSim;

  beforeAll(async () => {
    const port = await freePort();
    child = stack.spawnService(simService, {}, { ports: { 'platform-sim': port } });
    await stack.waitHealthy('platform-sim', port, child);
    sim = platformSim({ baseUrl: `http://127.0.0.1:${port}/`, adminToken: stack.simAdminToken() });
  }, 60_000);

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('registers an account, sees the post in the ledger, injects a fault and resets', async () => {
    await sim.reset();
    await sim.registerXAccount({ id: '1500000000000000009', username: 'mpjansampark', accessToken: 'x-lib' });
    const post = (text: string) =>
      fetch(`${sim.baseUrl}/2/tweets`, {
        method: 'POST',
        headers: { authorization: 'Bearer x-lib', 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
    expect((await post('from the library test')).status).toBe(201);
    const fault = await sim.injectFault({ kind: 'error', platform: 'x', count: 1 });
    expect(fault.kind).toBe('error');
    expect((await post('refused once')).status).toBe(503);
    expect((await sim.ledger({ platform: 'x' })).map((e) => e.text)).toEqual(['from the library test']);
    await sim.settle();
    await sim.reset();
    expect(await sim.ledger()).toEqual([]);
    const metrics = await fetch(`${sim.baseUrl}/metrics`);
    expect(await metrics.text()).toContain('platform_sim_calls_total');
  });

  it('reports a refusal as PlatformSimError with the status and body', async () => {
    await expect(sim.setTier('1', 250)).rejects.toMatchObject({ name: 'PlatformSimError', status: 404 });
  });
});

describe('verifyMetaSignature', () => {
  it('accepts the HMAC-SHA256 of the raw body with the app secret, and nothing else', () => {
    const body = '{"object":"whatsapp_business_account"}';
    const header = `sha256=${createHmac('sha256', 'secret').update(body).digest('hex')}`;
    expect(verifyMetaSignature(body, header, 'secret')).toBe(true);
    expect(verifyMetaSignature(Buffer.from(body), header, 'secret')).toBe(true);
    expect(verifyMetaSignature(`${body} `, header, 'secret')).toBe(false);
    expect(verifyMetaSignature(body, header, 'other')).toBe(false);
    expect(verifyMetaSignature(body, undefined, 'secret')).toBe(false);
    expect(verifyMetaSignature(body, 'sha1=abc', 'secret')).toBe(false);
  });
});
