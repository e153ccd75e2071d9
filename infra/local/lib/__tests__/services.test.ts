import { Writable } from 'node:stream';
import { prettyLines, serviceEnvs, type SystemOptions } from '../services';

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
  output: new Writable(),
  color: false,
};

/** What a child gets: its variables laid over the launcher's, undefined ones left out, as child_process does. */
function childEnv(launcher: NodeJS.ProcessEnv, own: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries({ ...launcher, ...own }).filter(([, value]) => value !== undefined));
}

describe('serviceEnvs', () => {
  it("gives each service its own variables, over JetStream, and drops what the launcher's shell had but this run does not use", () => {
    const launcher = {
      PATH: '/bin',
      MONGO_URI: 'mongodb://stale',
      NATS_SUBJECT_PREFIX: 'stale.',
      NODE_ENV: 'test',
      JEST_WORKER_ID: '1',
    };

    const own = serviceEnvs(options);
    const envs = { orders: childEnv(launcher, own.orders), expiration: childEnv(launcher, own.expiration) };

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

describe('prettyLines', () => {
  const pretty = prettyLines(false);

  it('turns a pino line into time, level, message and the other fields', () => {
    const line = JSON.stringify({
      level: 'info',
      time: '2025-01-01T10:00:00.000Z',
      pid: 1,
      hostname: 'h',
      name: 'orders',
      orderId: 'abc',
      msg: 'expiration scheduled',
    });

    const text = pretty(`${line}\n`);

    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.000\] INFO: expiration scheduled \{"orderId":"abc"\}\n$/);
  });

  it('passes a line that is not pino JSON through unchanged', () => {
    expect(pretty('[tsx] change in ./src/app.ts Restarting...\n')).toBe('[tsx] change in ./src/app.ts Restarting...\n');
    expect(pretty('{not json\n')).toBe('{not json\n');
  });
});
