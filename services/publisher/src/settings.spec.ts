import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '@prasar/config';
import { publisherShape } from './settings';

const base = {
  DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/prasar_publisher',
  KAFKA_BROKERS: '127.0.0.1:9092',
  AUTH_ISSUER: 'iss',
  AUTH_AUDIENCE: 'aud',
};

describe('publisher configuration', () => {
  it('defaults to port 4104, the simulator and the documented limits', () => {
    const c = loadConfig(publisherShape, {
      ...base,
      PUBLISHER_CREDENTIALS_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    });
    expect(c).toMatchObject({
      PORT: 4104,
      META_GRAPH_VERSION: 'v21.0',
      PLATFORM_REQUEST_TIMEOUT_MS: 10_000,
      PUBLISHER_MAX_ATTEMPTS: 8,
      ENGAGEMENT_WINDOW_HOURS: 48,
    });
    expect(c.X_API_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
  });

  it('allows no media host inside the network by default, and reads the allow-list and https-only switch', () => {
    const keys = `k1:${randomBytes(32).toString('base64')}`;
    expect(loadConfig(publisherShape, { ...base, PUBLISHER_CREDENTIALS_KEYS: keys })).toMatchObject({
      PUBLISHER_MEDIA_ALLOWED_HOSTS: [],
      PUBLISHER_MEDIA_HTTPS_ONLY: false,
    });
    const c = loadConfig(publisherShape, {
      ...base,
      PUBLISHER_CREDENTIALS_KEYS: keys,
      PUBLISHER_MEDIA_ALLOWED_HOSTS: '127.0.0.1:4900,media.internal',
      PUBLISHER_MEDIA_HTTPS_ONLY: 'true',
    });
    expect(c.PUBLISHER_MEDIA_ALLOWED_HOSTS).toEqual([
      { host: '127.0.0.1', port: 4900 },
      { host: 'media.internal', port: null },
    ]);
    expect(c.PUBLISHER_MEDIA_HTTPS_ONLY).toBe(true);
    expect(() =>
      loadConfig(publisherShape, {
        ...base,
        PUBLISHER_CREDENTIALS_KEYS: keys,
        PUBLISHER_MEDIA_ALLOWED_HOSTS: 'http://127.0.0.1:4900',
      }),
    ).toThrow(/PUBLISHER_MEDIA_ALLOWED_HOSTS: "http:\/\/127\.0\.0\.1:4900" is not a host/);
  });

  it.each([
    [undefined, /PUBLISHER_CREDENTIALS_KEYS: is required/],
    ['k1:c2hvcnQ=', /PUBLISHER_CREDENTIALS_KEYS: key "k1" must be 32 bytes/],
  ])('stops on a missing or unusable key ring (%s), naming the variable', (keys, message) => {
    const env = keys === undefined ? base : { ...base, PUBLISHER_CREDENTIALS_KEYS: keys };
    expect(() => loadConfig(publisherShape, env)).toThrow(ConfigError);
    expect(() => loadConfig(publisherShape, env)).toThrow(message);
  });
});
