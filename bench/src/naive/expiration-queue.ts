import Queue from 'bull';
import type { EventClient } from '@grider-ms-tickets/common';
import { ExpirationCompletePublisher } from './expiration-complete-publisher';

/** What a job carries, as in the course. */
export interface Payload {
  orderId: string;
}

/** Options of {@link createExpirationQueue}. */
export interface NaiveQueueOptions {
  redis: { host: string; port: number };
  /** Bull's key prefix, so that each benchmark run has its own keys. */
  prefix: string;
  client: EventClient;
}

/**
 * The course's queue, as written there: Bull's defaults (30 s locks, one
 * attempt, completed jobs kept), and a processor that runs one job at a time and
 * does not await its publish. The job completes whether or not NATS ever gets
 * the event; that is the behaviour this baseline exists to measure.
 *
 * @param options - Redis, prefix and the NATS client
 * @returns the queue, already processing
 */
export function createExpirationQueue(options: NaiveQueueOptions): Queue.Queue<Payload> {
  const expirationQueue = new Queue<Payload>('order:expiration', { redis: options.redis, prefix: options.prefix });
  void expirationQueue.process(async (job) => {
    // Not awaited, exactly as in the course (an unhandled rejection ends the process).
    void new ExpirationCompletePublisher(options.client).publish({ orderId: job.data.orderId });
  });
  return expirationQueue;
}
