import { serviceEnvs, type SystemOptions } from '../system';

const options: SystemOptions = {
  redis: { host: '127.0.0.1', port: 6379 },
  nats: { url: 'nats://127.0.0.1:4222', stream: 'demo-1' },
  queuePrefix: 'demo-1',
  jwtKey: 'k',
  ordersPort: 3001,
  healthPort: 8081,
  expirationWindowSeconds: 10,
  store: { kind: 'memory' },
  logLevel: 'info',
  watch: false,
  onLine: () => undefined,
  baseEnv: {
    PATH: '/bin',
    MONGO_URI: 'mongodb://stale',
    NATS_SUBJECT_PREFIX: 'stale.',
    NODE_ENV: 'test',
    JEST_WORKER_ID: '1',
  },
};

describe('serviceEnvs', () => {
  it("gives each service its own variables, over JetStream, and drops what the launcher's shell had but this run does not use", () => {
    const envs = serviceEnvs(options);

    expect(envs.orders).toMatchObject({
      PATH: '/bin',
      EVENT_BUS: 'jetstream',
      NATS_STREAM: 'demo-1',
      JWT_KEY: 'k',
      ORDERS_STORE: 'memory',
      PORT: '3001',
      EXPIRATION_WINDOW_SECONDS: '10',
      NODE_ENV: 'development',
    });
    expect(envs.expiration).toMatchObject({
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: '6379',
      QUEUE_PREFIX: 'demo-1',
      HEALTH_PORT: '8081',
    });
    expect(envs.orders).not.toHaveProperty('MONGO_URI');
    for (const env of [envs.orders, envs.expiration]) {
      expect(env).not.toHaveProperty('NATS_SUBJECT_PREFIX');
      expect(env).not.toHaveProperty('JEST_WORKER_ID');
    }
  });
});
