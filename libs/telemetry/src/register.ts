/**
 * Side-effect entry: starts OpenTelemetry before anything else is loaded.
 *
 *   node -r @swc-node/register -r ./libs/telemetry/src/register.ts services/<svc>/src/main.ts
 *
 * Loading it twice starts one SDK. On SIGTERM/SIGINT it flushes spans; when nothing else handles
 * the signal it also shuts the SDK down and then lets the signal end the process as usual.
 */
import { flushTelemetry, shutdownTelemetry, startTelemetry, telemetryOptionsFromEnv } from './sdk';

export { getTestSpanExporter, shutdownTelemetry } from './sdk';

function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 0) {
    // Another handler (Nest's enableShutdownHooks, the gateway's own) owns shutdown and exit; export
    // what exists now. TelemetryModule (or that handler) completes it with shutdownTelemetry().
    void flushTelemetry();
    return;
  }
  void shutdownTelemetry().finally(() => process.kill(process.pid, signal));
}

if (startTelemetry(telemetryOptionsFromEnv())) {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => onSignal(signal));
  }
}
