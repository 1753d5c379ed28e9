import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const FIXTURES = 'libs/telemetry/src/__fixtures__';

interface Run {
  lines: Record<string, unknown>[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the fixture as a service runs: swc first, then register.ts, then the script. */
function runFixture(
  fixture: string,
  args: string[],
  onLine?: (line: Record<string, unknown>, kill: () => void) => void,
) {
  return new Promise<Run>((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      OTEL_SERVICE_NAME: 'fixture',
      PRASAR_TELEMETRY_TEST_EXPORTER: 'memory',
      LOG_LEVEL: 'info',
    };
    delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    delete env.NODE_OPTIONS;
    const child = spawn(
      process.execPath,
      [
        '-r',
        '@swc-node/register',
        '-r',
        './libs/telemetry/src/register.ts',
        `${FIXTURES}/${fixture}`,
        ...args,
      ],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
    const lines: Record<string, unknown>[] = [];
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      let nl: number;
      while ((nl = stdout.indexOf('\n')) >= 0) {
        const text = stdout.slice(0, nl);
        stdout = stdout.slice(nl + 1);
        const line = JSON.parse(text) as Record<string, unknown>; // every stdout line must be JSON
        lines.push(line);
        onLine?.(line, () => child.kill('SIGTERM'));
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ lines, code, signal, stderr });
    });
  });
}

describe('register.ts in a real process', () => {
  it('instruments http and puts the trace id into JSON log lines', async () => {
    const started = Date.now();
    const run = await runFixture('self-request.ts', []);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);

    const handled = run.lines.find((l) => l.msg === 'handled self request');
    expect(handled).toMatchObject({ level: 'info', service: 'fixture', name: 'fixture' });
    expect(handled!.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(handled!.span_id).toMatch(/^[0-9a-f]{16}$/);
    // The outgoing request carried W3C trace context into the server span of the same trace.
    expect(handled!.traceparent).toMatch(new RegExp(`^00-${handled!.trace_id as string}-[0-9a-f]{16}-01$`));

    const done = run.lines.find((l) => l.msg === 'fixture done');
    expect(done!.spans).toBe(2); // client and server span, in the in-memory exporter
  });

  it('lets SIGTERM end the process after flushing', async () => {
    const run = await runFixture('self-request.ts', ['--linger'], (line, kill) => {
      if (line.msg === 'fixture done') kill();
    });
    expect(run.stderr).toBe('');
    expect(run.signal).toBe('SIGTERM');
  });

  it('keeps the trace context a Kafka message already carries', async () => {
    const run = await runFixture('kafka-headers.ts', []);
    expect(run.stderr).toBe('');
    const line = run.lines.find((l) => l.msg === 'kafka headers') as {
      kept: string;
      injected: string | null;
      activeTraceId: string;
      sends: { traceId: string; links: string[] }[];
    };
    // An outbox row's traceparent survives the instrumentation's injection ...
    expect(line.kept).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    // ... a message without one gets the send span's, in the active trace ...
    expect(line.injected).toMatch(new RegExp(`^00-${line.activeTraceId}-[0-9a-f]{16}-01$`));
    // ... and the send span of the first links to the trace it carries.
    expect(line.sends).toEqual(
      expect.arrayContaining([
        { traceId: line.activeTraceId, links: ['4bf92f3577b34da6a3ce929d0e0e4736'] },
        { traceId: line.activeTraceId, links: [] },
      ]),
    );
  });
});
