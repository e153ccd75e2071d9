import { Subjects } from '@grider-ms-tickets/common';
import { FakeEventBus } from '@grider-ms-tickets/common/testing';
import request from 'supertest';
import { createApp } from '../../app';
import { ExpirationMetrics } from '../../metrics';
import { expirationJobId } from '../../queues/expiration-job-id';
import type { ExpirationService } from '../../service';
import { startTestService, stopTestService } from '../../test/test-service';
import { inMs, newOrderId, orderCreated, testLogger, testNames, waitFor } from '../../test/helpers';
import { REFUSALS } from '../action-guard';

const USER = 'admin';
const PASSWORD = 'correct horse: battery staple';
const CHALLENGE = 'Basic realm="expiration dashboard"';
const QUEUE = encodeURIComponent('order:expiration');

describe('the queue dashboard, without DASHBOARD_CREDENTIALS', () => {
  it('answers 404 at /admin/queues, with or without a login', async () => {
    const metrics = new ExpirationMetrics();
    const app = createApp({ checks: {}, registry: metrics.registry, logger: testLogger() });

    const page = await request(app).get('/admin/queues');
    const api = await request(app).get('/admin/queues/api/queues').auth(USER, PASSWORD);

    expect(page.status).toBe(404);
    expect(api.status).toBe(404);
  });
});

// The service in this process, on the real Redis (a queue prefix of its own)
// and a fake bus, with one order in each state the dashboard shows.
describe('the queue dashboard, with DASHBOARD_CREDENTIALS', () => {
  const names = testNames('dashboard-http');
  const bus = new FakeEventBus();
  let service: ExpirationService;
  let http: ReturnType<typeof request.agent>;
  const pending = [newOrderId(), newOrderId()];
  const failed = newOrderId();
  const completed = newOrderId();

  const stateOf = async (orderId: string) =>
    (await service.expirations.queue.getJob(expirationJobId(orderId)))?.getState();
  const publishedFor = (orderId: string) =>
    bus.publishedOn(Subjects.ExpirationComplete).filter((data) => data.orderId === orderId).length;

  beforeAll(async () => {
    service = await startTestService(names, {
      bus,
      env: {
        DASHBOARD_CREDENTIALS: `${USER}:${PASSWORD}`,
        // One try, so a failed publish parks the job as failed at once; and a
        // sweep of failed jobs once an hour, so that only the dashboard retries it.
        EXPIRATION_PUBLISH_ATTEMPTS: '1',
        EXPIRATION_BACKOFF_MAX_MS: '3600000',
      },
    });
    http = request.agent(service.server);

    for (const id of pending) await bus.emit(Subjects.OrderCreated, orderCreated(inMs(60 * 60_000), id));
    bus.failNextPublishes(1);
    await bus.emit(Subjects.OrderCreated, orderCreated(inMs(-1_000), failed));
    await waitFor(async () => (await stateOf(failed)) === 'failed', 'the failed expiration');
    await bus.emit(Subjects.OrderCreated, orderCreated(inMs(-1_000), completed));
    await waitFor(async () => (await stateOf(completed)) === 'completed', 'the completed expiration');
  });

  afterAll(async () => {
    await stopTestService(service);
  });

  describe('login', () => {
    it('answers 401 with the Basic challenge when no login is given', async () => {
      const res = await http.get('/admin/queues');

      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(CHALLENGE);
    });

    it('answers 401 with the Basic challenge to a wrong password', async () => {
      const res = await http.get('/admin/queues').auth(USER, `${PASSWORD}x`);

      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(CHALLENGE);
    });

    it('answers 401 to the right password under another user', async () => {
      const res = await http.get('/admin/queues/api/queues').auth('root', PASSWORD);

      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(CHALLENGE);
    });

    it('answers 401 to the API as well as to the page', async () => {
      const res = await http.put(`/admin/queues/api/queues/${QUEUE}/promote`);

      expect(res.status).toBe(401);
      expect(await stateOf(pending[0])).toBe('delayed');
    });

    it('serves the page to the right login', async () => {
      const res = await http.get('/admin/queues').auth(USER, PASSWORD);

      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('<base href="/admin/queues/"');
      expect(res.headers['x-powered-by']).toBeUndefined();
    });
  });

  describe('what it shows', () => {
    it('lists the delayed jobs by order id and the time each order expires', async () => {
      const res = await http
        .get('/admin/queues/api/queues')
        .query({ activeQueue: 'order:expiration', status: 'delayed', page: 1, jobsPerPage: 50 })
        .auth(USER, PASSWORD);

      expect(res.status).toBe(200);
      const [queue] = res.body.queues;
      expect(queue.name).toBe('order:expiration');
      expect(queue.counts).toMatchObject({ delayed: 2, failed: 1, completed: 1 });
      const listed = queue.jobs.map((job: { id: string; name: string }) => [job.id, job.name]);
      for (const id of pending) {
        const job = await service.expirations.queue.getJob(expirationJobId(id));
        const due = new Date((job?.timestamp ?? 0) + (job?.opts.delay ?? 0)).toISOString();
        expect(listed).toContainEqual([expirationJobId(id), `order ${id} expires ${due}`]);
      }
    });
  });

  describe('actions', () => {
    const refused: Array<[string, () => string, string]> = [
      ['promoting one delayed job', () => `/api/queues/${QUEUE}/${expirationJobId(pending[0])}/promote`, 'promote'],
      ['promoting every delayed job', () => `/api/queues/${QUEUE}/promote`, 'promote'],
      ['removing one delayed job', () => `/api/queues/${QUEUE}/${expirationJobId(pending[0])}/clean`, 'clean'],
      ['cleaning the delayed jobs', () => `/api/queues/${QUEUE}/clean/delayed`, 'clean'],
      ['cleaning the failed jobs', () => `/api/queues/${QUEUE}/clean/failed`, 'clean'],
      ['emptying the queue', () => `/api/queues/${QUEUE}/empty`, 'clean'],
      ['pausing the queue', () => `/api/queues/${QUEUE}/pause`, 'other'],
      ['pausing every queue', () => '/api/queues/pause', 'other'],
      ['obliterating the queue', () => `/api/queues/${QUEUE}/obliterate`, 'other'],
      ['retrying the completed jobs', () => `/api/queues/${QUEUE}/retry/completed`, 'retryCompleted'],
      ['retrying a completed job', () => `/api/queues/${QUEUE}/${expirationJobId(completed)}/retry`, 'retryCompleted'],
    ];

    it.each(refused)('refuses %s with 403 and leaves every job as it was', async (_action, path, reason) => {
      const res = await http.put(`/admin/queues${path()}`).auth(USER, PASSWORD).send({ force: true });

      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        error: { key: 'ERRORS.FORBIDDEN' },
        message: REFUSALS[reason as keyof typeof REFUSALS],
      });
      expect(await Promise.all(pending.map(stateOf))).toEqual(['delayed', 'delayed']);
      expect(await stateOf(failed)).toBe('failed');
      expect(await stateOf(completed)).toBe('completed');
      expect(await service.expirations.queue.isPaused()).toBe(false);
      expect(publishedFor(completed)).toBe(1);
    });

    it('refuses adding a job and editing a job’s data with 403', async () => {
      const add = await http
        .post(`/admin/queues/api/queues/${QUEUE}/add`)
        .auth(USER, PASSWORD)
        .send({ name: 'x', data: { orderId: newOrderId() } });
      const edit = await http
        .patch(`/admin/queues/api/queues/${QUEUE}/${expirationJobId(pending[0])}/update-data`)
        .auth(USER, PASSWORD)
        .send({ jobData: { orderId: newOrderId() } });

      expect([add.status, edit.status]).toEqual([403, 403]);
      expect(await service.expirations.queue.getJobCounts()).toMatchObject({ delayed: 2, waiting: 0 });
      const job = await service.expirations.queue.getJob(expirationJobId(pending[0]));
      expect(job?.data).toEqual({ orderId: pending[0] });
    });

    it('retries a failed job, which publishes the expiration it never published', async () => {
      const before = publishedFor(failed);

      const res = await http
        .put(`/admin/queues/api/queues/${QUEUE}/${expirationJobId(failed)}/retry`)
        .auth(USER, PASSWORD);

      expect(res.status).toBe(204);
      expect(before).toBe(0);
      await waitFor(() => publishedFor(failed) === 1, 'the retried expiration:complete');
      await waitFor(async () => (await stateOf(failed)) === 'completed', 'the retried job to complete');
    });

    it('retries every failed job at once', async () => {
      const orderId = newOrderId();
      bus.failNextPublishes(1);
      await bus.emit(Subjects.OrderCreated, orderCreated(inMs(-1_000), orderId));
      await waitFor(async () => (await stateOf(orderId)) === 'failed', 'a second failed expiration');

      const res = await http.put(`/admin/queues/api/queues/${QUEUE}/retry/failed`).auth(USER, PASSWORD);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ retried: 1, skipped: 0 });
      await waitFor(() => publishedFor(orderId) === 1, 'the retried expiration:complete');
    });
  });
});
