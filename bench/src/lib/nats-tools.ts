import { JetStreamBus, createLogger, type Logger } from '@grider-ms-tickets/common';
import type { Space } from './space';

/** A logger for the benchmark's own NATS connections: warnings only. */
export function benchLogger(name = 'bench', level: 'warn' | 'info' | 'silent' = 'warn'): Logger {
  return createLogger({ name, level });
}

/**
 * Connects to the stream of a space (created if missing, as a service does).
 *
 * @param url - the NATS server, or the servers of a cluster
 * @param space - names the stream and the subject prefix
 * @param logger - where the bus logs
 * @param stream - the settings of the stream, if it is created: its replicas
 */
export function connectBus(
  url: string | string[],
  space: Space,
  logger: Logger = benchLogger(),
  stream: { replicas?: number } = {},
): Promise<JetStreamBus> {
  return JetStreamBus.connect({
    url,
    stream: space.stream,
    subjectPrefix: space.subjectPrefix,
    name: `bench:${space.id}`,
    logger,
    ...stream,
  });
}

/**
 * Deletes a stream with the JetStream API (its consumers go with it). A
 * missing stream is not an error.
 *
 * @param bus - a connected bus
 * @param stream - the stream's name
 */
export async function deleteStream(bus: JetStreamBus, stream: string): Promise<void> {
  const reply = await bus.connection.request(`$JS.API.STREAM.DELETE.${stream}`, undefined, { timeout: 10_000 });
  const body = reply.json<{ success?: boolean; error?: { err_code?: number; description?: string } }>();
  // 10059: stream not found.
  if (!body.success && body.error?.err_code !== 10059) {
    throw new Error(`could not delete stream ${stream}: ${body.error?.description ?? 'no reason given'}`);
  }
}

/**
 * Publishes raw bytes to a logical subject, bypassing the publisher's schema
 * check, which is how a malformed event gets onto the bus.
 *
 * @param bus - a connected bus
 * @param subject - the logical subject, such as `order:created`
 * @param payload - anything
 * @returns the stream sequence the server gave the message
 */
export async function publishRaw(bus: JetStreamBus, subject: string, payload: string | Uint8Array): Promise<number> {
  // A JetStream publish is a request to the subject; the reply is the PubAck.
  const reply = await bus.connection.request(bus.wireSubject(subject), payload, { timeout: 10_000 });
  const ack = reply.json<{ seq?: number; error?: { description?: string } }>();
  if (typeof ack.seq !== 'number')
    throw new Error(`publish to ${subject} was refused: ${ack.error?.description ?? reply.string()}`);
  return ack.seq;
}

/** When a batch of publishes started and when the last one was acknowledged. */
export interface PublishSpan {
  startedAt: number;
  endedAt: number;
}

/**
 * Publishes payloads as fast as the server acknowledges them, with up to
 * `window` publishes awaiting their ack at once.
 *
 * @param bus - a connected bus
 * @param subject - the logical subject
 * @param payloads - JSON strings
 * @param window - publishes in flight
 */
export async function publishAll(
  bus: JetStreamBus,
  subject: string,
  payloads: readonly string[],
  window = 512,
): Promise<PublishSpan> {
  const startedAt = Date.now();
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  for (const payload of payloads) {
    if (failure) break;
    const p: Promise<void> = bus
      .publish(subject, payload)
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  return { startedAt, endedAt: Date.now() };
}
