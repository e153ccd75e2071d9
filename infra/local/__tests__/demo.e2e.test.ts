/**
 * The story of `npm run demo`, end to end: both services run from source as
 * child processes against the real Redis and NATS (JetStream) of this machine,
 * with the memory store and a 4 s window. The run has its own stream, subject
 * prefix, Bull prefix and ports, all removed afterwards. Every step waits for
 * the event or state that proves it; nothing sleeps.
 */
import { JetStreamBus, createLogger } from '@grider-ms-tickets/common';
import { isolatedNames, removeIsolated } from '../lib/isolation';
import { freePort } from '../lib/preflight';
import { STORY_STEPS, runStory, type StepOutcome, type StoryReporter } from '../lib/story';
import { launchSystem, type RunningSystem } from '../lib/system';

const REDIS = { host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const JWT_KEY = 'e2e-only-jwt-key';
const WINDOW_SECONDS = 4;

describe('the demo story, against the real Redis and NATS with the memory store', () => {
  const names = isolatedNames('e2e');
  const serviceLines: string[] = [];
  let system: RunningSystem | undefined;
  let bus: JetStreamBus | undefined;

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
      logLevel: 'info',
      watch: false,
      onLine: (service, line) => serviceLines.push(`[${service}] ${line}`),
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
    if (bus) {
      await removeIsolated(bus, REDIS, names);
      await bus.close();
    }
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
    });

    if (!result.ok) console.log(`${result.verdict}\n${serviceLines.slice(-60).join('\n')}`);
    expect(result.steps).toEqual(
      STORY_STEPS.map((title, i) => expect.objectContaining({ n: i + 1, title, status: 'passed' })),
    );
    expect(steps).toEqual(result.steps);
    expect(countdowns.size).toBe(0);
    expect(result.ok).toBe(true);
    expect(result.verdict).toMatch(/^✔ The whole story happened: 7 of 7 steps/);
  }, 120_000);
});
