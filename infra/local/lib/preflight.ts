import { once } from 'node:events';
import net from 'node:net';
import readline from 'node:readline';
import type { LocalSettings } from './settings';
import { fail, ok, paint } from './terminal';

/** The outcome of one check: fine, or a problem with the lines that tell how to fix it. */
export type CheckResult = { ok: true; detail: string } | { ok: false; problem: string; fix: string[] };

const problem = (text: string, fix: string[]): CheckResult => ({ ok: false, problem: text, fix });
const reason = (err: unknown) =>
  (err as Error).name === 'AbortError' ? 'no answer within 2 s' : ((err as NodeJS.ErrnoException).code ?? `${err}`);

/** Connects, writes `send`, and reads lines until `done` says so, the peer closes, or 2 s have passed. */
async function converse(where: { host: string; port: number }, send: string, done: (line: string) => boolean) {
  const signal = AbortSignal.timeout(2_000);
  const socket = net.connect(where);
  try {
    await once(socket, 'connect', { signal });
    socket.write(send);
    const lines: string[] = [];
    for await (const line of readline.createInterface({ input: socket, signal })) {
      if (lines.push(line) && done(line)) break;
    }
    return lines.join(' ');
  } finally {
    socket.destroy();
  }
}

/** @returns ok when Redis answers PING; otherwise what is wrong and how to start it */
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
    const answer = await converse(redis, send, (line) => line === '+PONG' || line.startsWith('-'));
    if (answer.includes('+PONG')) return { ok: true, detail: `Redis ${where}` };
    if (/-NOAUTH|-WRONGPASS|-ERR.*AUTH/i.test(answer)) {
      return problem(`Redis at ${where} refused the password (${answer}).`, ['Set REDIS_PASSWORD.']);
    }
    return problem(`Something at ${where} does not speak Redis (it said ${JSON.stringify(answer.slice(0, 60))}).`, fix);
  } catch (err) {
    return problem(`Redis is not reachable at ${where} (${reason(err)}).`, fix);
  }
}

/** @returns ok when the INFO line NATS sends on connect says JetStream is on; otherwise what is wrong, and the fix */
export async function checkNats(nats: { host: string; port: number }): Promise<CheckResult> {
  const where = `${nats.host}:${nats.port}`;
  const start = `nats-server -js${nats.port === 4222 ? '' : ` -p ${nats.port}`} -sd /tmp/nats-js &`;
  const fix = [
    `Start it:    ${start}`,
    `or, Docker:  docker run -d --name ticketing-nats -p ${nats.port}:4222 nats:2.10-alpine -js`,
    'Not installed? https://docs.nats.io/running-a-nats-service/introduction/installation (one binary), or brew install nats-server. A NATS elsewhere: set NATS_URL.',
  ];
  try {
    const line = await converse(nats, '', () => true);
    const info = /^INFO\s+(\{.*\})\s*$/.exec(line);
    if (!info)
      return problem(`Something at ${where} does not speak NATS (it said ${JSON.stringify(line.slice(0, 60))}).`, fix);
    const { version = '', jetstream } = JSON.parse(info[1]) as { version?: string; jetstream?: boolean };
    if (jetstream) return { ok: true, detail: `NATS ${version} with JetStream ${where}` };
    return problem(`NATS ${version} at ${where} runs without JetStream.`.replace('  ', ' '), [
      `Restart it with JetStream on:  ${start}`,
    ]);
  } catch (err) {
    return problem(`NATS is not reachable at ${where} (${reason(err)}).`, fix);
  }
}

/** Checks Redis and NATS, and prints each outcome; for one that is missing, how to start it. */
export async function checkServers(settings: LocalSettings): Promise<boolean> {
  const results = await Promise.all([checkRedis(settings.redis), checkNats(settings.nats)]);
  for (const result of results) {
    if (result.ok) ok(result.detail);
    else fail(`${paint('bold', result.problem)}\n${result.fix.map((line) => `    ${line}`).join('\n')}`);
  }
  return results.every((r) => r.ok);
}

/**
 * @returns whether one of our services (common's health router: `{status, checks}`) answers `/readyz` at the URL,
 *   and if so whether it is ready (200, not 503); undefined when nothing or something else answers
 */
export async function readyz(baseUrl: string): Promise<{ ready: boolean } | undefined> {
  try {
    const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(1_500) });
    const body = (await res.json()) as { status?: unknown; checks?: unknown } | null;
    return typeof body?.status === 'string' && typeof body.checks === 'object' ? { ready: res.ok } : undefined;
  } catch {
    return undefined;
  }
}

/** Who holds a port: nobody, one of our services, or another program. */
export type PortState = { state: 'free' } | { state: 'ours'; ready: boolean } | { state: 'busy' };

/** Who holds a TCP port, as our services bind it (every interface). */
export async function inspectPort(port: number): Promise<PortState> {
  const server = net.createServer();
  const free = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (free) return { state: 'free' };
  const answer = await readyz(`http://127.0.0.1:${port}`);
  return answer ? { state: 'ours', ready: answer.ready } : { state: 'busy' };
}
