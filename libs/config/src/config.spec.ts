import { ConfigError, loadConfig, serviceShape, vars, z } from './index';

describe('loadConfig', () => {
  const good = {
    PORT: '4100',
    DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
    KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
    AUTH_ISSUER: 'iss',
    AUTH_AUDIENCE: 'aud',
  };

  it('parses and coerces valid values', () => {
    const cfg = loadConfig(serviceShape, good);
    expect(cfg.PORT).toBe(4100);
    expect(cfg.KAFKA_BROKERS).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(cfg.LOG_LEVEL).toBe('info');
  });

  it('names every missing or bad variable', () => {
    const bad = { ...good, PORT: 'eighty', KAFKA_BROKERS: 'nohost' } as Record<string, string>;
    delete bad.DATABASE_URL;
    let error: unknown;
    try {
      loadConfig(serviceShape, bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = (error as ConfigError).problems.map((p) => p.variable).sort();
    expect(names).toEqual(['DATABASE_URL', 'KAFKA_BROKERS', 'PORT']);
    expect((error as ConfigError).message).toContain('DATABASE_URL: is required but not set');
  });

  it('reads booleans strictly', () => {
    expect(loadConfig({ X: vars.bool(false) }, { X: '1' }).X).toBe(true);
    expect(() => loadConfig({ X: vars.bool(false) }, { X: 'yes' })).toThrow(ConfigError);
    expect(loadConfig({ Y: z.string().default('d') }, {}).Y).toBe('d');
  });
});
