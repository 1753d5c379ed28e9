import { createInstrumentations, isProbePath, telemetryOptionsFromEnv } from './index';

describe('telemetryOptionsFromEnv', () => {
  it('reads service, environment, OTLP and the test exporter from the environment', () => {
    expect(telemetryOptionsFromEnv({})).toEqual({
      serviceName: 'prasar',
      environment: 'local',
      otlp: false,
      testExporter: undefined,
    });
    expect(
      telemetryOptionsFromEnv({
        SERVICE_NAME: 'fallback',
        PRASAR_ENV: 'prod',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        PRASAR_TELEMETRY_TEST_EXPORTER: 'memory',
      }),
    ).toEqual({ serviceName: 'fallback', environment: 'prod', otlp: true, testExporter: 'memory' });
    expect(telemetryOptionsFromEnv({ OTEL_SERVICE_NAME: 'intake', SERVICE_NAME: 'x' }).serviceName).toBe(
      'intake',
    );
    expect(telemetryOptionsFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c/v1/traces' }).otlp).toBe(
      true,
    );
  });
});

describe('createInstrumentations', () => {
  function names(env: NodeJS.ProcessEnv): string[] {
    const list = createInstrumentations(env).flat();
    for (const instrumentation of list) instrumentation.disable();
    return list.map((i) => i.instrumentationName.replace('@opentelemetry/instrumentation-', ''));
  }

  it('has http, express, graphql, pg, kafkajs and pino, minus the disabled ones', () => {
    expect(names({})).toEqual(['http', 'express', 'graphql', 'pg', 'kafkajs', 'pino']);
    expect(
      names({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'kafkajs, @opentelemetry/instrumentation-pg' }),
    ).toEqual(['http', 'express', 'graphql', 'pino']);
  });
});

describe('isProbePath', () => {
  it('matches probe and scrape paths only', () => {
    expect(isProbePath('/metrics')).toBe(true);
    expect(isProbePath('/healthz?x=1')).toBe(true);
    expect(isProbePath('/readyz/')).toBe(true);
    expect(isProbePath('/graphql')).toBe(false);
    expect(isProbePath('/metrics-old')).toBe(false);
    expect(isProbePath(undefined)).toBe(false);
  });
});
