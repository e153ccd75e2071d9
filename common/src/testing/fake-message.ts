import { crc32 } from 'node:zlib';
import type { EventMessage } from '../bus/event-bus';
import { createSpy, type Spy } from './spy';

/** Options of a {@link FakeMessage}. */
export interface FakeMessageOptions {
  /** @defaultValue 1 */
  sequence?: number;
  /** Deliveries so far, this one included. @defaultValue 1 */
  deliveryCount?: number;
  /** The message headers, such as `{ [CORRELATION_ID_HEADER]: 'req-1' }`. @defaultValue none */
  headers?: Record<string, string>;
}

/**
 * An in-memory message with spies on `ack` and `nak`, for unit tests of
 * listeners: `expect(msg.ack).toHaveBeenCalled()`, or read `msg.acked`.
 */
export class FakeMessage implements EventMessage {
  readonly ack: Spy & (() => void) = createSpy();
  readonly nak: Spy & ((delayMs?: number) => void) = createSpy();
  private readonly raw: Buffer;
  private readonly sequence: number;
  private readonly deliveryCount: number;
  private readonly headers: Map<string, string>;
  private readonly timestamp = new Date();

  /**
   * @param subject - the subject it was delivered on
   * @param payload - a value to send as JSON, or a string or Buffer sent as is (for malformed input)
   * @param options - sequence, delivery count and headers
   */
  constructor(
    private readonly subject: string,
    payload: unknown,
    options: FakeMessageOptions = {},
  ) {
    this.raw = Buffer.isBuffer(payload)
      ? payload
      : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    this.sequence = options.sequence ?? 1;
    this.deliveryCount = options.deliveryCount ?? 1;
    this.headers = new Map(Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  }

  /**
   * Sets a header, as a publisher would have.
   *
   * @param name - the header name; matched ignoring case
   * @param value - its value
   */
  setHeader(name: string, value: string): void {
    this.headers.set(name.toLowerCase(), value);
  }

  getHeader(name: string): string | undefined {
    return this.headers.get(name.toLowerCase());
  }

  /** Whether `ack()` was called. */
  get acked(): boolean {
    return this.ack.mock.calls.length > 0;
  }

  /** Whether `nak()` was called, which is what a failed handler does. */
  get nakked(): boolean {
    return this.nak.mock.calls.length > 0;
  }

  getDeliveryCount(): number {
    return this.deliveryCount;
  }

  getSubject(): string {
    return this.subject;
  }

  getSequence(): number {
    return this.sequence;
  }

  getRawData(): Buffer {
    return this.raw;
  }

  // eslint-disable-next-line @typescript-eslint/no-wrapper-object-types -- node-nats-streaming's own signature
  getData(): String | Buffer {
    return this.raw.toString('utf8');
  }

  getTimestampRaw(): number {
    return this.timestamp.getTime() * 1e6;
  }

  getTimestamp(): Date {
    return this.timestamp;
  }

  isRedelivered(): boolean {
    return this.deliveryCount > 1;
  }

  getCrc32(): number {
    return crc32(this.raw);
  }
}
