import { connect, createServer } from 'node:net';

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Named in the timeout error. @defaultValue `the condition` */
  what?: string;
  /** @defaultValue 30000 */
  timeoutMs?: number;
  /** @defaultValue 20 */
  intervalMs?: number;
  /** Checked before each probe: a message ends the wait at once with that error (for example, a child process died). */
  giveUpIf?: () => string | undefined;
}

/** What a truthy check leaves of `T`. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/**
 * Polls until `probe` returns something truthy, so tests wait for an event
 * instead of sleeping for a guessed time. A probe that throws counts as not yet.
 *
 * @example
 * await waitFor(() => bus.published.length === 1, 'the publish');
 * await waitFor(() => service.isReady(), { what: 'readiness', timeoutMs: 60_000 });
 *
 * @param probe - checked every `intervalMs`; may be async
 * @param whatOrOptions - what is awaited (named in the timeout error), or the options
 * @param options - timeout, interval and give-up check, when the second argument is the name
 * @returns the first truthy value
 * @throws Error when the timeout passes first, with the probe's last error as cause
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  whatOrOptions: string | WaitForOptions = {},
  options: WaitForOptions = {},
): Promise<Truthy<T>> {
  const settings = typeof whatOrOptions === 'string' ? { ...options, what: whatOrOptions } : whatOrOptions;
  const { what = 'the condition', timeoutMs = 30_000, intervalMs = 20, giveUpIf } = settings;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const reason = giveUpIf?.();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    try {
      const value = await probe();
      if (value) return value as Truthy<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}

/**
 * Waits a fixed time: only to prove that something did NOT happen, or to hold
 * a planned moment (a fault's time, an outage's length), never to guess when
 * something is done.
 *
 * @param ms - milliseconds
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Where {@link freePort} looks: below Linux's ephemeral range (32768–60999 by default). */
const PORT_RANGE = { from: 20_000, to: 32_767 };

/**
 * A TCP port on 127.0.0.1 that was free a moment ago. It is picked at random
 * below the ephemeral range rather than by the OS (port 0): the OS hands out
 * ports from the ephemeral range, which every outgoing connection of the
 * machine also draws from, so with many test files running side by side a
 * port chosen there was sometimes taken by a client connection before the
 * server meant for it could bind it.
 *
 * @returns the port
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from + 1));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found between ${PORT_RANGE.from} and ${PORT_RANGE.to} in 50 tries`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Whether something listens on a port of 127.0.0.1: one connection attempt,
 * closed at once. A server started by a test is ready once its log says so and
 * this is true.
 *
 * @param port - the port
 * @returns true when the connection was accepted
 */
export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
