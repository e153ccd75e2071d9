import request from 'supertest';
import { createApp } from '../app';
import { ExpirationMetrics } from '../metrics';
import { testLogger } from '../test/helpers';

describe('the HTTP app', () => {
  function app(
    checks: { redis: () => boolean | Promise<boolean>; nats: () => boolean },
    liveness?: Record<string, () => boolean>,
  ) {
    const metrics = new ExpirationMetrics();
    metrics.trackQueue({
      counts: async () => ({ delayed: 3, waiting: 2, active: 1, failed: 0 }),
      dueWithin: async () => 7,
      redisMemory: async () => ({ usedBytes: 1_048_576, maxBytes: 0 }),
    });
    metrics.jobsScheduled.inc(4);
    metrics.deadLetters.inc({ subject: 'order:created' });
    return createApp({ checks, liveness, registry: metrics.registry, logger: testLogger() });
  }

  it('GET /healthz answers 200 while the process runs, whatever its dependencies', async () => {
    const res = await request(app({ redis: () => false, nats: () => false })).get('/healthz');

    expect(res.status).toBe(200);
  });

  it('GET /healthz answers 503 naming the liveness check that fails', async () => {
    const res = await request(app({ redis: () => true, nats: () => true }, { nats: () => false })).get('/healthz');

    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'failing', checks: { nats: 'failing' } });
  });

  it('GET /readyz answers 200 when Redis answers and NATS is connected', async () => {
    const res = await request(app({ redis: () => true, nats: () => true })).get('/readyz');

    expect(res.status).toBe(200);
    expect(res.body.checks).toEqual({ redis: 'ok', nats: 'ok' });
  });

  it('GET /readyz answers 503 when NATS is disconnected', async () => {
    const res = await request(app({ redis: () => true, nats: () => false })).get('/readyz');

    expect(res.status).toBe(503);
    expect(res.body.checks).toEqual({ redis: 'ok', nats: 'failing' });
  });

  it('GET /readyz answers 503 when Redis does not answer', async () => {
    const res = await request(app({ redis: () => Promise.reject(new Error('ECONNREFUSED')), nats: () => true })).get(
      '/readyz',
    );

    expect(res.status).toBe(503);
    expect(res.body.checks.redis).toBe('failing');
  });

  it('GET /metrics serves the counters, queue sizes, Redis memory and lateness histogram in Prometheus format', async () => {
    const res = await request(app({ redis: () => true, nats: () => true })).get('/metrics');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('expiration_jobs_scheduled_total 4');
    expect(res.text).toContain('expiration_dead_letters_total{subject="order:created"} 1');
    for (const name of [
      'expiration_duplicates_ignored_total',
      'expiration_published_total',
      'expiration_publish_failures_total',
      'expiration_lateness_seconds_bucket',
    ]) {
      expect(res.text).toContain(name);
    }
    expect(res.text).toContain('expiration_queue_jobs{state="delayed"} 3');
    expect(res.text).toContain('expiration_queue_jobs{state="waiting"} 2');
    expect(res.text).toContain('expiration_queue_jobs{state="active"} 1');
    expect(res.text).toContain('expiration_due_next_minute 7');
    expect(res.text).toContain('expiration_redis_used_memory_bytes 1048576');
    expect(res.text).toContain('expiration_redis_maxmemory_bytes 0');
  });
});
