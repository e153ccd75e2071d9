/**
 * Publishes one event over NATS JetStream, as another service would, and
 * optionally waits for one event on another subject and prints it.
 *
 *   npm run -s publish-event -w orders -- <subject> '<json>' [--wait <subject>] [--timeout <seconds>]
 *
 * The payload is checked against the subject's schema before it is sent.
 * NATS_URL (default nats://127.0.0.1:4222), NATS_STREAM (default ticketing) and
 * NATS_SUBJECT_PREFIX are read from the environment, as the service reads them.
 */
import { parseArgs } from 'node:util';
import { ALL_SUBJECTS, JetStreamBus, createLogger, type Subjects } from '@grider-ms-tickets/common';
import { AnyPublisher } from '../src/test/any-publisher';

const USAGE = "usage: publish-event <subject> '<json>' [--wait <subject>] [--timeout <seconds>]";

function fail(message: string): never {
  console.error(`${message}\n${USAGE}\nsubjects: ${ALL_SUBJECTS.join(', ')}`);
  process.exit(2);
}

function asSubject(value: string | undefined): Subjects {
  if (!value || !ALL_SUBJECTS.includes(value as Subjects)) fail(`unknown subject: ${value ?? '(none)'}`);
  return value as Subjects;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { wait: { type: 'string' }, timeout: { type: 'string', default: '30' } },
  });
  const subject = asSubject(positionals[0]);
  let data: unknown;
  try {
    data = JSON.parse(positionals[1] ?? '');
  } catch {
    fail('the payload must be JSON');
  }
  const waitSubject = values.wait === undefined ? undefined : asSubject(values.wait);
  const timeoutMs = Number(values.timeout) * 1000;

  // A dev tool, not the service: it reads its variables straight from the environment.
  const prefix = process.env.NATS_SUBJECT_PREFIX;
  const bus = await JetStreamBus.connect({
    url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    stream: process.env.NATS_STREAM ?? 'ticketing',
    subjectPrefix: prefix,
    logger: createLogger({ name: 'publish-event', level: 'warn' }),
  });
  try {
    // A plain NATS subscription sees what is published from now on, and only
    // that; subscribing before publishing means the answer can't be missed.
    const awaited = waitSubject ? nextMessage(bus, waitSubject, timeoutMs) : undefined;
    await new AnyPublisher(bus, subject).publish(data);
    console.log(`published ${subject} ${JSON.stringify(data)}`);
    if (awaited) {
      const payload = await awaited;
      if (payload === undefined) {
        console.error(`no ${waitSubject} within ${values.timeout} s`);
        process.exitCode = 1;
      } else {
        console.log(`received ${waitSubject} ${payload}`);
      }
    }
  } finally {
    await bus.close();
  }
}

/** @returns the payload of the next message on `subject`, or undefined after `timeoutMs` */
async function nextMessage(bus: JetStreamBus, subject: Subjects, timeoutMs: number): Promise<string | undefined> {
  const subscription = bus.connection.subscribe(bus.wireSubject(subject), { max: 1 });
  const timer = setTimeout(() => subscription.unsubscribe(), timeoutMs);
  try {
    for await (const msg of subscription) return msg.string();
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
