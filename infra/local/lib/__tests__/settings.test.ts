import { ConfigError } from '@grider-ms-tickets/common';
import { DEV_JWT_KEY, loadLocalSettings } from '../settings';

describe('loadLocalSettings', () => {
  it('with nothing set, uses the local servers, the default ports and the dev-only JWT key', () => {
    const settings = loadLocalSettings({});

    expect(settings).toMatchObject({
      redis: { host: '127.0.0.1', port: 6379 },
      nats: { url: 'nats://127.0.0.1:4222', host: '127.0.0.1', port: 4222, stream: 'ticketing' },
      queuePrefix: 'bull',
      jwtKey: DEV_JWT_KEY,
      jwtKeyIsDevDefault: true,
      ordersPort: 3000,
      healthPort: 8080,
      devWindowSeconds: 900,
      demoWindowSeconds: 10,
      forceMemoryStore: false,
    });
    expect(settings.mongoUri).toBeUndefined();
  });

  it("reads the queue dashboard's user from DASHBOARD_CREDENTIALS, and refuses a value without a password", () => {
    expect(loadLocalSettings({}).dashboardUser).toBeUndefined();
    expect(loadLocalSettings({ DASHBOARD_CREDENTIALS: 'admin:local-pass' }).dashboardUser).toBe('admin');
    expect(() => loadLocalSettings({ DASHBOARD_CREDENTIALS: 'admin' })).toThrow(
      /DASHBOARD_CREDENTIALS: must be user:password/,
    );
  });

  it('names every bad variable at once', () => {
    const load = () => loadLocalSettings({ EVENT_BUS: 'stan', NATS_URL: 'http://x', MONGO_URI: 'postgres://db' });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      /EVENT_BUS: local runs use NATS JetStream[\s\S]*NATS_URL: must be a URL starting with nats:\/\/[\s\S]*MONGO_URI/,
    );
  });
});
