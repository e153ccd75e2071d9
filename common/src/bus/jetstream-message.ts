import { crc32 } from 'node:zlib';
import { Match } from '@nats-io/transport-node';
import type { JsMsg } from '@nats-io/jetstream';
import type { EventMessage } from './event-bus';

/** A JetStream message behind the course's `Message` API. */
export class JetStreamEventMessage implements EventMessage {
  constructor(
    private readonly m: JsMsg,
    private readonly subject: string,
  ) {}

  ack(): void {
    this.m.ack();
  }

  nak(delayMs?: number): void {
    this.m.nak(delayMs);
  }

  getDeliveryCount(): number {
    return this.m.info.deliveryCount;
  }

  getHeader(name: string): string | undefined {
    const h = this.m.headers;
    return h?.has(name, Match.IgnoreCase) ? h.get(name, Match.IgnoreCase) : undefined;
  }

  /** The logical subject, without the bus's subject prefix. */
  getSubject(): string {
    return this.subject;
  }

  /** The stream sequence. */
  getSequence(): number {
    return this.m.seq;
  }

  getRawData(): Buffer {
    return Buffer.from(this.m.data.buffer, this.m.data.byteOffset, this.m.data.byteLength);
  }

  // eslint-disable-next-line @typescript-eslint/no-wrapper-object-types -- node-nats-streaming's own signature
  getData(): String | Buffer {
    return this.m.string();
  }

  /** Nanoseconds since the epoch, as NATS Streaming gives them. */
  getTimestampRaw(): number {
    return Number(this.m.info.timestampNanos);
  }

  getTimestamp(): Date {
    return this.m.time;
  }

  isRedelivered(): boolean {
    return this.m.redelivered;
  }

  getCrc32(): number {
    return crc32(this.m.data);
  }
}
