import http from 'node:http';
import net from 'node:net';

/** The outcome of one check: fine, or a problem with the lines that tell how to fix it. */
export type CheckResult = { ok: true; detail: string } | { ok: false; problem: string; fix: string[] };

/** Options of the reachability checks. */
export interface ProbeOptions {
  /** @defaultValue 2000 */
  timeoutMs?: number;
}

/**
 * Opens a TCP connection, optionally writes, and collects what comes back until
 * `done` is satisfied, the peer closes, or the timeout passes.
 */
function talk(
  host: string,
  port: number,
  send: string | undefined,
  done: (received: string) => boolean,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = net.connect({ host, port });
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(received);
    };
    const timer = setTimeout(
      () => finish(received ? undefined : new Error(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      if (send) socket.write(send);
    });
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (done(received)) finish();
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish());
  });
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}` : String(e.message ?? err);
}

/**
 * Checks that Redis answers PING.
 *
 * @param redis - where it should be, and its password if any
 * @param options - timeout
 * @returns ok, or what is wrong and how to start it
 */
export async function checkRedis(
  redis: { host: string; port: number; password?: string },
  options: ProbeOptions = {},
): Promise<CheckResult> {
  const where = `${redis.host}:${redis.port}`;
  const fix = [
    `Start it:    redis-server --daemonize yes --port ${redis.port} --save "" --appendonly no`,
    `or, Docker:  docker run -d --name ticketing-redis -p ${redis.port}:6379 redis:7-alpine`,
    'Not installed? apt-get install redis-server, or brew install redis. A Redis elsewhere: set REDIS_HOST and REDIS_PORT.',
  ];
  // Inline commands: Redis accepts them without the RESP framing.
  const send = `${redis.password ? `AUTH ${redis.password}\r\n` : ''}PING\r\n`;
  try {
    const answer = await talk(redis.host, redis.port, send, (r) => /\+PONG|-\w+/.test(r), options.timeoutMs ?? 2_000);
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
 * Checks that NATS answers and has JetStream enabled, from the INFO line it
 * sends on connect.
 *
 * @param nats - where it should be
 * @param options - timeout
 * @returns ok with the server version, or what is wrong and how to start it
 */
export async function checkNats(
  nats: { host: string; port: number },
  options: ProbeOptions = {},
): Promise<CheckResult> {
  const where = `${nats.host}:${nats.port}`;
  const portFlag = nats.port === 4222 ? '' : ` -p ${nats.port}`;
  const start = `nats-server -js${portFlag} -sd /tmp/nats-js &`;
  const fix = [
    `Start it:    ${start}`,
    `or, Docker:  docker run -d --name ticketing-nats -p ${nats.port}:4222 nats:2.10-alpine -js`,
    'Not installed? https://docs.nats.io/running-a-nats-service/introduction/installation (one binary), or brew install nats-server. A NATS elsewhere: set NATS_URL.',
  ];
  try {
    const answer = await talk(nats.host, nats.port, undefined, (r) => r.includes('\r\n'), options.timeoutMs ?? 2_000);
    const match = /^INFO\s+(\{.*\})\s*$/m.exec(answer);
    if (!match) {
      return {
        ok: false,
        problem: `Something at ${where} does not speak NATS (it said ${JSON.stringify(answer.slice(0, 60))}).`,
        fix,
      };
    }
    const info = JSON.parse(match[1]) as { version?: string; jetstream?: boolean };
    if (!info.jetstream) {
      return {
        ok: false,
        problem: `NATS ${info.version ?? ''} at ${where} runs without JetStream.`.replace('  ', ' '),
        fix: [`Restart it with JetStream on:  ${start}`],
      };
    }
    return { ok: true, detail: `NATS ${info.version ?? ''} with JetStream ${where}` };
  } catch (err) {
    return { ok: false, problem: `NATS is not reachable at ${where} (${reason(err)}).`, fix };
  }
}

/** Who holds a port: nobody, one of our services (it answers /readyz like them), or another program. */
export type PortState = { state: 'free' } | { state: 'ours'; ready: boolean } | { state: 'busy' };

/**
 * Finds out who holds a port, as our services would bind it (every interface).
 *
 * @param port - the TCP port
 * @returns its state
 */
export async function inspectPort(port: number): Promise<PortState> {
  if (await canListen(port)) return { state: 'free' };
  const health = await readyz(`http://127.0.0.1:${port}`, 1_500);
  if (health.kind === 'ours') return { state: 'ours', ready: health.ready };
  return { state: 'busy' };
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * @returns a port nobody listens on right now
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** What an HTTP server answered on /readyz. */
export type ReadyzAnswer =
  { kind: 'ours'; ready: boolean; checks: Record<string, string> } | { kind: 'other' } | { kind: 'none' };

/**
 * Asks `/readyz`. Our services answer `{status, checks}` (common's health router),
 * with 200 when ready and 503 when not.
 *
 * @param baseUrl - such as `http://127.0.0.1:3000`
 * @param timeoutMs - per request
 * @returns whether it is one of ours, and ready
 */
export function readyz(baseUrl: string, timeoutMs = 2_000): Promise<ReadyzAnswer> {
  return new Promise((resolve) => {
    const req = http.get(`${baseUrl}/readyz`, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        try {
          const json = JSON.parse(body) as { status?: unknown; checks?: unknown };
          if (typeof json.status === 'string' && typeof json.checks === 'object' && json.checks !== null) {
            resolve({ kind: 'ours', ready: res.statusCode === 200, checks: json.checks as Record<string, string> });
            return;
          }
        } catch {
          // not JSON: not ours
        }
        resolve({ kind: 'other' });
      });
      res.on('error', () => resolve({ kind: 'other' }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'ECONNREFUSED' ? { kind: 'none' } : { kind: 'other' }),
    );
  });
}

/**
 * Formats a failed check for the terminal.
 *
 * @param result - a failed check
 * @returns lines: the problem, then the fixes indented
 */
export function describeProblem(result: Extract<CheckResult, { ok: false }>): string[] {
  return [result.problem, ...result.fix.map((line) => `    ${line}`)];
}
