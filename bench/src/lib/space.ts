import { randomBytes } from 'node:crypto';

/** The Bull queue every implementation uses, as the course names it. */
export const QUEUE_NAME = 'order:expiration';

/**
 * The names that isolate one run of one scenario on shared servers: a Bull key
 * prefix, a JetStream stream and a subject prefix (two streams can't hold the
 * same subjects, so each needs its own). Nothing else uses them, so cleaning up
 * means deleting exactly these.
 */
export class Space {
  readonly id: string;
  /** Bull's key prefix; the keys are `<prefix>:order:expiration:*`. */
  readonly prefix: string;
  readonly stream: string;
  readonly subjectPrefix: string;

  /** @param label - what runs here, to recognise leftovers in Redis or NATS */
  constructor(label: string) {
    this.id = `${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    this.prefix = `bench-${this.id}`;
    this.stream = `bench-${this.id}`;
    this.subjectPrefix = `bench.${this.id}.`;
  }

  /** A Bull key of the queue, such as `delayed`. */
  key(name: string): string {
    return `${this.prefix}:${QUEUE_NAME}:${name}`;
  }
}
