/**
 * The story of `npm run demo`, end to end: both services run from source as
 * child processes against the real Redis and NATS (JetStream) of this machine,
 * with the memory store and a 4 s window. The run has its own stream, subject
 * prefix, Bull prefix and ports, all removed afterwards. Every step waits for
 * the event or state that proves it; nothing sleeps.
 */
import { Writable } from 'node:stream';
import { JetStreamBus, createLogger } from '@grider-ms-tickets/common';
import { freePort } from '@grider-ms-tickets/common/testing';
import { isolatedNames, removeIsolated } from '../lib/isolation';
import { launchSystem, type RunningSystem } from '../lib/services';
import { STORY, runStory, type StepOutcome, type StoryReporter } from '../lib/story';

const REDIS = { host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const JWT_KEY = 'e2e-only-jwt-key';
const WINDOW_SECONDS = 4;

describe('the demo story, against the real Redis and NATS with the memory store', () => {
  const names = isolatedNames('e2e');
  let system: RunningSystem | undefined;
  let bus: JetStreamBus | undefined;
  // Every line both services wrote, prefixed [orders] or [expiration].
  let output = '';

  beforeAll(async () => {
    system = launchSystem({
      redis: REDIS,
      nats: { url: NATS_URL, stream: names.stream, subjectPrefix: names.subjectPrefix },
      queuePrefix: names.queuePrefix,
      jwtKey: JWT_KEY,
      ordersPort: await freePort(),
      healthPort: await freePort(),
      expirationWindowSeconds: WINDOW_SECONDS,
      store: { kind: 'memory' },
      // Expiration logs each order's scheduling and firing at debug.
      logLevel: 'debug',
      watch: false,
      output: new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          output += chunk.toString();
          done();
        },
      }),
      color: false,
    });
    bus = await JetStreamBus.connect({
      url: NATS_URL,
      stream: names.stream,
      subjectPrefix: names.subjectPrefix,
      logger: createLogger({ name: 'e2e', level: 'silent' }),
    });
    await system.ready;
  }, 120_000);

  afterAll(async () => {
    await system?.stop();
    await bus?.close();
    await removeIsolated(NATS_URL, REDIS, names);
  });

  it('plays every step: the unpaid order expires on time and is cancelled, the paid one survives its expiry', async () => {
    const steps: StepOutcome[] = [];
    const countdowns = new Set<string>();
    const reporter: StoryReporter = {
      step: (outcome) => steps.push(outcome),
      note: () => undefined,
      countdown: (key) => countdowns.add(key),
      settle: (key) => countdowns.delete(key),
    };

    const result = await runStory({
      ordersUrl: (system as RunningSystem).ordersUrl,
      bus: bus as JetStreamBus,
      jwtKey: JWT_KEY,
      redis: REDIS,
      queuePrefix: names.queuePrefix,
      reporter,
      // On time means by expiresAt + this. CI runs every suite at once on two
      // cores, so allow more than the demo's 5 s before calling it late.
      lateToleranceMs: 10_000,
    });

    if (!result.ok) console.log(`${result.verdict}\n${system?.lastLines(60).join('\n')}`);
    expect(result.steps).toEqual(
      STORY.map(({ title }, i) => expect.objectContaining({ n: i + 1, title, status: 'passed' })),
    );
    expect(steps).toEqual(result.steps);
    expect(countdowns.size).toBe(0);
    expect(result.ok).toBe(true);
    expect(result.verdict).toMatch(/^✔ The whole story happened: 7 of 7 steps/);
  }, 120_000);

  it("tells an order's whole story in both services' logs: grep for its correlation id", () => {
    // The POST's request id became the order's correlation id; orders logs it
    // when the order is created, expiration when it schedules and fires it,
    // and orders again when it cancels it.
    const lines = output.split('\n');
    const created = lines.find((l) => l.includes('[orders]') && l.includes('order created'));
    const correlationId = /"correlationId":"([^"]+)"/.exec(created ?? '')?.[1];
    expect(correlationId).toBeDefined();

    const story = lines.filter((l) => l.includes(correlationId as string));

    expect(story.filter((l) => l.includes('[expiration]')).length).toBeGreaterThanOrEqual(2);
    expect(story).toContainEqual(expect.stringMatching(/\[orders\].*order created/));
    expect(story).toContainEqual(expect.stringMatching(/\[orders\].*order cancelled/));
  });

  it('when a step does not happen, stops there, skips the rest and gives a failing verdict', async () => {
    const reporter: StoryReporter = {
      step: () => undefined,
      note: () => undefined,
      countdown: () => undefined,
      settle: () => undefined,
    };

    // The wrong Bull prefix: step 3 looks for the job where expiration did not put it.
    const result = await runStory({
      ordersUrl: (system as RunningSystem).ordersUrl,
      bus: bus as JetStreamBus,
      jwtKey: JWT_KEY,
      redis: REDIS,
      queuePrefix: `${names.queuePrefix}-elsewhere`,
      reporter,
      stepTimeoutMs: 2_000,
    });

    expect(result.ok).toBe(false);
    expect(result.steps.map((s) => s.status)).toEqual([
      'passed',
      'passed',
      'failed',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
    ]);
    expect(result.verdict).toMatch(
      /^✖ Step 3 of 7 did not happen \(The expiration is scheduled\): expiration did not schedule a job/,
    );
  }, 60_000);
});
