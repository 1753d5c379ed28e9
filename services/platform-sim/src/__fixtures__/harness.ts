// Starts the simulator in process on a free port for a spec, with a frozen clock and the typed
// control client that other services' tests use too.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { platformSim, type PlatformSim } from '@prasar/testing';
import { createLogger } from '@prasar/telemetry';
import { createSimServer, type SimServerOptions } from '../server';

export const ADMIN_TOKEN = 'spec-admin-token';
export const CLOCK_START = '2026-01-05T04:30:00.000Z';

export interface RunningSim {
  baseUrl: string;
  control: PlatformSim;
  close(): Promise<void>;
}

export async function startSim(options: Partial<SimServerOptions> = {}): Promise<RunningSim> {
  const { server, close } = createSimServer({
    log: createLogger('platform-sim-spec', { level: 'silent' }),
    adminToken: ADMIN_TOKEN,
    clock: { frozen: true, start: new Date(CLOCK_START) },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { baseUrl, control: platformSim({ baseUrl, adminToken: ADMIN_TOKEN }), close };
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** A request to the simulated platforms, answered as parsed JSON. */
export async function call<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  options: {
    token?: string;
    json?: unknown;
    form?: Record<string, string>;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

export interface ReceivedWebhook {
  body: string;
  signature: string | undefined;
  json: unknown;
}

/** A webhook receiver that keeps what it is sent (raw body and signature header). */
export async function startReceiver(): Promise<{
  url: string;
  received: ReceivedWebhook[];
  close(): Promise<void>;
}> {
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({
        body,
        signature: req.headers['x-hub-signature-256'] as string | undefined,
        json: JSON.parse(body) as unknown,
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
