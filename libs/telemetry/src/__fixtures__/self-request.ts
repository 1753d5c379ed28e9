// Fixture for register.spec.ts: run with `-r ./libs/telemetry/src/register.ts`. It serves one request
// to itself and logs inside the handler, where the http instrumentation's server span is active.
// With `--linger` the server stays up until a signal ends the process.
import { get, createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, getTestSpanExporter } from '../index';

const log = createLogger('fixture');
let seen: IncomingHttpHeaders = {};

const server = createServer((req, res) => {
  seen = req.headers;
  log.info({ traceparent: req.headers.traceparent }, 'handled self request');
  res.end('ok');
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  get({ host: '127.0.0.1', port, path: '/hello' }, (res) => {
    res.resume();
    res.on('end', () => {
      const spans = getTestSpanExporter()?.getFinishedSpans().length ?? -1;
      log.info({ spans, received_traceparent: seen.traceparent ?? null }, 'fixture done');
      if (!process.argv.includes('--linger')) server.close();
    });
  });
});
