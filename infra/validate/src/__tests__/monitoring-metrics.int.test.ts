import { randomBytes } from 'node:crypto';
import { JetStreamBus, createLogger } from '@grider-ms-tickets/common';
import { FakeEventBus } from '@grider-ms-tickets/common/testing';
import Redis from 'ioredis';
import { loadExpirationConfig } from '../../../../expiration/src/config';
import { startExpirationService, type ExpirationService } from '../../../../expiration/src/service';
import { loadOrdersConfig } from '../../../../orders/src/config';
import { startOrdersService, type OrdersService } from '../../../../orders/src/service';
import { EXTERNAL_METRICS } from '../monitoring/external-metrics';
import { metricNames, parsePromql } from '../monitoring/promql';
import { collectQueries } from '../monitoring/queries';
import { renderOverlay } from './helpers/manifests';

// Every metric the alerts and the dashboard read must exist: read from the
// services' live /metrics, not from a list kept by hand. Both services run in
// this process: orders on the memory store and a JetStream stream of its own,
// expiration on the test kit's bus and a Redis queue prefix of its own.

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const REDIS_HOST = process.env.REDIS_HOST ?? '127.0.0.1';
const REDIS_PORT = Number(process.env.REDIS_PORT ?? 6379);

/** The overlays that deploy the monitoring component. */
const OVERLAYS = ['prod', 'prod-jetstream'];

/** A metric family a service exports, from its `# TYPE` line. */
interface Family {
  type: string;
  service: string;
}

/**
 * @param text - a /metrics answer in the Prometheus text format
 * @param service - who answered
 * @returns each family it declares, with its type
 */
function familiesOf(text: string, service: string): Map<string, Family> {
  const families = new Map<string, Family>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(match[1], { type: match[2], service });
  return families;
}

/**
 * @param name - a metric name as PromQL reads it
 * @param families - what the services export
 * @returns the family that exports it: itself, or for `_bucket`, `_sum` and `_count`, the histogram or summary
 */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  if (families.has(name)) return families.get(name);
  const series = /^(.+)_(bucket|sum|count)$/.exec(name);
  const family = series && families.get(series[1]);
  if (!family) return undefined;
  if (family.type === 'histogram') return family;
  return family.type === 'summary' && series[2] !== 'bucket' ? family : undefined;
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics on port ${port} answered ${res.status}`);
  return res.text();
}

describe('the metrics the alerts and the dashboard read', () => {
  const name = `monitoring-${randomBytes(4).toString('hex')}`;
  const logger = createLogger({ name: 'monitoring-metrics-test', level: 'silent' });
  const bus = new FakeEventBus();
  let orders: OrdersService | undefined;
  let expiration: ExpirationService | undefined;
  const exported = new Map<string, Family>();

  beforeAll(async () => {
    const ordersConfig = loadOrdersConfig({
      ORDERS_STORE: 'memory',
      EVENT_BUS: 'jetstream',
      NATS_URL,
      NATS_STREAM: name,
      NATS_SUBJECT_PREFIX: `${name}.`,
      JWT_KEY: 'monitoring-test-key',
    });
    orders = await startOrdersService({ ...ordersConfig, port: 0 }, { logger });
    const expirationConfig = loadExpirationConfig({
      EVENT_BUS: 'jetstream',
      NATS_URL,
      REDIS_HOST,
      REDIS_PORT: String(REDIS_PORT),
      QUEUE_PREFIX: name,
    });
    expiration = await startExpirationService({ ...expirationConfig, healthPort: 0 }, { logger, bus });

    for (const [port, service] of [
      [orders.port, 'orders'],
      [expiration.port, 'expiration'],
    ] as const) {
      for (const [metric, family] of familiesOf(await scrape(port), service)) exported.set(metric, family);
    }
  });

  afterAll(async () => {
    await orders?.shutdown('test over');
    await expiration?.shutdown('test over');
    await bus.close();
    // The stream the orders service created, and the keys of the queue.
    const cleanup = await JetStreamBus.connect({ url: NATS_URL, stream: name, subjectPrefix: `${name}.`, logger });
    const reply = await cleanup.connection.request(`$JS.API.STREAM.DELETE.${name}`, '', { timeout: 5_000 });
    await cleanup.close();
    expect(reply.json<{ success?: boolean }>().success).toBe(true);
    const redis = new Redis({ host: REDIS_HOST, port: REDIS_PORT });
    const keys = await redis.keys(`${name}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('are scraped from both services', () => {
    const services = new Set([...exported.values()].map((family) => family.service));

    expect(services).toEqual(new Set(['orders', 'expiration']));
    expect(exported.get('http_request_duration_seconds')).toEqual({ type: 'histogram', service: 'orders' });
    expect(exported.get('expiration_lateness_seconds')).toEqual({ type: 'histogram', service: 'expiration' });
  });

  it.each(OVERLAYS)('in %s, are each exported by a service or come from a documented source', (overlay) => {
    const { queries } = collectQueries(renderOverlay(overlay));
    const trees = parsePromql(queries.map((q) => q.expr));

    const missing: string[] = [];
    const unresolved: string[] = [];
    for (const query of queries) {
      const read = metricNames(query.expr, trees.get(query.expr)!);
      for (const metric of read.names) {
        if (!familyOf(metric, exported) && !(metric in EXTERNAL_METRICS)) missing.push(`${query.where}: ${metric}`);
      }
      unresolved.push(...read.unresolved.map((selector) => `${query.where}: ${selector}`));
    }

    expect(queries.length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
    expect(unresolved).toEqual([]);
  });

  it('lists as external only metrics that the services do not export and that some query reads', () => {
    const { queries } = collectQueries(renderOverlay('prod'));
    const trees = parsePromql(queries.map((q) => q.expr));
    const read = new Set(queries.flatMap((q) => metricNames(q.expr, trees.get(q.expr)!).names));

    for (const metric of Object.keys(EXTERNAL_METRICS)) {
      expect({ metric, exported: familyOf(metric, exported) !== undefined, read: read.has(metric) }).toEqual({
        metric,
        exported: false,
        read: true,
      });
    }
  });
});
