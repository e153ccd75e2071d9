import { once } from 'node:events';
import net from 'node:net';
import readline from 'node:readline';
import type { LocalSettings } from './settings';
import { fail, ok, paint, say } from './terminal';

/** The outcome of one check: fine, or a problem with the lines that tell how to fix it. */
export type CheckResult = { ok: true; detail: string } | { ok: false; problem: string; fix: string[] };

/**
 * Connects, writes `send`, and reads lines until `done` says so, the peer
 * closes, or the time runs out.
 *
 * @returns the lines received
 * @throws the connection's error, such as ECONNREFUSED
 */
async function converse(
  where: { host: string; port: number },
  send: string | undefined,
  done: (line: string) => boolean,
  timeoutMs = 2_000,
): Promise<string[]> {
  const signal = AbortSignal.timeout(timeoutMs);
  const socket = net.connect(where);
  try {
    await once(socket, 'connect', { signal });
    if (send) socket.write(send);
    const lines: string[] = [];
    for await (const line of readline.createInterface({ input: socket, signal })) {
      lines.push(line);
      if (done(line)) break;
    }
    return lines;
  } finally {
    socket.destroy();
  }
}

const reason = (err: unknown) =>
  (err as Error).name === 'AbortError'
    ? 'no answer within 2 s'
    : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);

/**
 * @param redis - where it should be, and its password if any
 * @returns ok when Redis answers PING; otherwise what is wrong and how to start it
 */
export async function checkRedis(redis: { host: string; port: number; password?: string }): Promise<CheckResult> {
  const where = `${redis.host}:${redis.port}`;
  const fix = [
    `Start it:    redis-server --daemonize yes --port ${redis.port} --save "" --appendonly no`,
    `or, Docker:  docker run -d --name ticketing-redis -p ${redis.port}:6379 redis:7-alpine`,
    'Not installed? apt-get install redis-server, or brew install redis. A Redis elsewhere: set REDIS_HOST and REDIS_PORT.',
  ];
  try {
    // Inline commands: Redis takes them without the RESP framing.
    const send = `${redis.password ? `AUTH ${redis.password}\r\n` : ''}PING\r\n`;
    const lines = await converse(redis, send, (line) => line === '+PONG' || line.startsWith('-'));
    const answer = lines.join(' ');
    if (answer.includes('+PONG')) return { ok: true, detail: `Redis ${where}` };
    if (/-NOAUTH|-WRONGPASS|-ERR.*AUTH/i.test(answer)) {
      return {
        ok: false,
        problem: `Redis at ${where} refused the password (${answer.trim()}).`,
        fix: ['Set REDIS_PASSWORD.'],
      };
    }
    return {
      ok: false,
      problem: `Something at ${where} does not speak Redis (it said ${JSON.stringify(answer.slice(0, 60))}).`,
      fix,
    };
  } catch (err) {
    return { ok: false, problem: `Redis is not reachable at ${where} (${reason(err)}).`, fix };
  }
}

/**
 * @param nats - where it should be
 * @returns ok with the server version when the INFO line NATS sends on connect says JetStream is on; otherwise what is wrong and how to start it
 */
export async function checkNats(nats: { host: string; port: number }): Promise<CheckResult> {
  const where = `${nats.host}:${nats.port}`;
  const start = `nats-server -js${nats.port === 4222 ? '' : ` -p ${nats.port}`} -sd /tmp/nats-js &`;
  const fix = [
    `Start it:    ${start}`,
    `or, Docker:  docker run -d --name ticketing-nats -p ${nats.port}:4222 nats:2.10-alpine -js`,
    'Not installed? https://docs.nats.io/running-a-nats-service/introduction/installation (one binary), or brew install nats-server. A NATS elsewhere: set NATS_URL.',
  ];
  try {
    const [line = ''] = await converse(nats, undefined, () => true);
    const info = /^INFO\s+(\{.*\})\s*$/.exec(line);
    if (!info) {
      return {
        ok: false,
        problem: `Something at ${where} does not speak NATS (it said ${JSON.stringify(line.slice(0, 60))}).`,
        fix,
      };
    }
    const { version = '', jetstream } = JSON.parse(info[1]) as { version?: string; jetstream?: boolean };
    if (!jetstream) {
      return {
        ok: false,
        problem: `NATS ${version} at ${where} runs without JetStream.`.replace('  ', ' '),
        fix: [`Restart it with JetStream on:  ${start}`],
      };
    }
    return { ok: true, detail: `NATS ${version} with JetStream ${where}` };
  } catch (err) {
    return { ok: false, problem: `NATS is not reachable at ${where} (${reason(err)}).`, fix };
  }
}

/**
 * Checks Redis and NATS, and prints each outcome; for one that is missing, how to start it.
 *
 * @param settings - where they should be
 * @returns whether both answer
 */
export async function checkServers(settings: LocalSettings): Promise<boolean> {
  const results = await Promise.all([checkRedis(settings.redis), checkNats(settings.nats)]);
  for (const result of results) {
    if (result.ok) ok(result.detail);
    else
      [paint('bold', result.problem), ...result.fix.map((line) => `    ${line}`)].forEach((line, i) =>
        i ? say(line) : fail(line),
      );
  }
  return results.every((r) => r.ok);
}

/** What an HTTP server answered on /readyz: one of our services (common's health router), another program, or nobody. */
export type ReadyzAnswer = { kind: 'ours'; ready: boolean } | { kind: 'other' } | { kind: 'none' };

/**
 * @param baseUrl - such as `http://127.0.0.1:3000`
 * @returns whether a service of ours answers `/readyz` there, and whether it is ready (200, not 503)
 */
export async function readyz(baseUrl: string): Promise<ReadyzAnswer> {
  try {
    const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(1_500) });
    const body = (await res.json().catch(() => undefined)) as { status?: unknown; checks?: unknown } | undefined;
    const ours = typeof body?.status === 'string' && typeof body.checks === 'object' && body.checks !== null;
    return ours ? { kind: 'ours', ready: res.status === 200 } : { kind: 'other' };
  } catch (err) {
    return (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED' ? { kind: 'none' } : { kind: 'other' };
  }
}

/** Who holds a port: nobody, one of our services, or another program. */
export type PortState = { state: 'free' } | { state: 'ours'; ready: boolean } | { state: 'busy' };

/**
 * @param port - a TCP port, as our services bind it (every interface)
 * @returns who holds it
 */
export async function inspectPort(port: number): Promise<PortState> {
  const server = net.createServer();
  const free = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (free) return { state: 'free' };
  const answer = await readyz(`http://127.0.0.1:${port}`);
  return answer.kind === 'ours' ? { state: 'ours', ready: answer.ready } : { state: 'busy' };
}

/**
 * @param state - a port that is not free
 * @returns who holds it, in words
 */
export function holder(state: PortState): string {
  return state.state === 'ours'
    ? `a ticketing service that is ${state.ready ? 'ready' : 'not ready'}`
    : 'another program';
}
