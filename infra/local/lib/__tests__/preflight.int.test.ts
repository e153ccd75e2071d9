import http from 'node:http';
import net from 'node:net';
import { freePort } from '@grider-ms-tickets/common/testing';
import { checkNats, checkRedis, inspectPort } from '../preflight';

const REDIS = { host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };
const NATS = (() => {
  const url = new URL(process.env.NATS_URL ?? 'nats://127.0.0.1:4222');
  return { host: url.hostname, port: Number(url.port || 4222) };
})();

/** A TCP server that greets each connection with `greeting`, like NATS does. */
async function fakeServer(greeting: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((socket) => socket.end(greeting));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('checkRedis', () => {
  it('when Redis answers PING, passes', async () => {
    const result = await checkRedis(REDIS);

    expect(result).toEqual({ ok: true, detail: `Redis ${REDIS.host}:${REDIS.port}` });
  });

  it('when nothing listens, says Redis is not reachable there and gives the command that starts it', async () => {
    const port = await freePort();

    const result = await checkRedis({ host: '127.0.0.1', port });

    expect(result).toEqual({
      ok: false,
      problem: `Redis is not reachable at 127.0.0.1:${port} (ECONNREFUSED).`,
      fix: expect.arrayContaining([
        `Start it:    redis-server --daemonize yes --port ${port} --save "" --appendonly no`,
      ]),
    });
  });
});

describe('checkNats', () => {
  it('when NATS has JetStream, passes and names its version', async () => {
    const result = await checkNats(NATS);

    expect(result).toEqual({ ok: true, detail: expect.stringMatching(/^NATS \d+\.\d+\.\d+ with JetStream /) });
  });

  it('when NATS runs without JetStream, says to restart it with -js', async () => {
    const server = await fakeServer('INFO {"server_id":"x","version":"2.9.10","jetstream":false} \r\n');
    try {
      const result = await checkNats({ host: '127.0.0.1', port: server.port });

      expect(result).toEqual({
        ok: false,
        problem: `NATS 2.9.10 at 127.0.0.1:${server.port} runs without JetStream.`,
        fix: [`Restart it with JetStream on:  nats-server -js -p ${server.port} -sd /tmp/nats-js &`],
      });
    } finally {
      await server.close();
    }
  });

  it('when something else answers on the port, says it does not speak NATS', async () => {
    const server = await fakeServer('+PONG\r\n');
    try {
      const result = await checkNats({ host: '127.0.0.1', port: server.port });

      expect(result).toMatchObject({ ok: false, problem: expect.stringContaining('does not speak NATS') });
    } finally {
      await server.close();
    }
  });

  it('when nothing listens, says NATS is not reachable and gives the command that starts it', async () => {
    const port = await freePort();

    const result = await checkNats({ host: '127.0.0.1', port });

    expect(result).toMatchObject({
      ok: false,
      problem: `NATS is not reachable at 127.0.0.1:${port} (ECONNREFUSED).`,
      fix: expect.arrayContaining([`Start it:    nats-server -js -p ${port} -sd /tmp/nats-js &`]),
    });
  });
});

describe('inspectPort', () => {
  const servers: http.Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });
  const serve = async (handler: http.RequestListener): Promise<number> => {
    const server = http.createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, resolve));
    return (server.address() as net.AddressInfo).port;
  };

  it('when nobody listens, calls the port free', async () => {
    expect(await inspectPort(await freePort())).toEqual({ state: 'free' });
  });

  it('when a ticketing service answers /readyz, calls the port ours and says whether it is ready', async () => {
    const port = await serve((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'not ready', checks: { nats: 'failing' } }));
    });

    expect(await inspectPort(port)).toEqual({ state: 'ours', ready: false });
  });

  it('when another program holds the port, calls it busy', async () => {
    const port = await serve((_req, res) => res.end('<html>hello</html>'));

    expect(await inspectPort(port)).toEqual({ state: 'busy' });
  });
});
