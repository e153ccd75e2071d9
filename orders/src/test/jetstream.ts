import { randomBytes } from 'node:crypto';
import type { JetStreamBus } from '@grider-ms-tickets/common';

/** The NATS server of the integration tests. */
export const TEST_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/**
 * A stream name of a test's own, which is also its subject prefix (with a dot),
 * so that tests sharing one server never see each other's messages.
 *
 * @param label - what the test is
 * @returns the name
 */
export function uniqueStreamName(label: string): string {
  return `orders-${label}-${randomBytes(4).toString('hex')}`;
}

/**
 * Deletes a test's stream through the JetStream API, over the bus's own connection.
 *
 * @param bus - a connected bus
 * @param stream - the stream to delete
 */
export async function deleteStream(bus: JetStreamBus, stream: string): Promise<void> {
  const reply = await bus.connection.request(`$JS.API.STREAM.DELETE.${stream}`, '', { timeout: 5_000 });
  const body = reply.json<{ success?: boolean; error?: { description: string } }>();
  if (!body.success) throw new Error(`could not delete stream ${stream}: ${body.error?.description ?? 'no reason'}`);
}
