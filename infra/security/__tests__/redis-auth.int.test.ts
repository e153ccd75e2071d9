/**
 * Redis's password, as the manifests deploy it: a redis-server of the test's
 * own runs with the arguments of the expiration-redis StatefulSet (the
 * requirepass from the Secret, in place of $(REDISCLI_AUTH)), and the
 * expiration service's own queue and the StatefulSet's readiness probe are
 * pointed at it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import type { IContainer } from 'kubernetes-models/v1';
import { createLogger } from '@grider-ms-tickets/common';
import { freePort } from '@grider-ms-tickets/common/testing';
import { createExpirationQueue, type ExpirationQueue } from '../../../expiration/src/queues/expiration-queue';
import { OVERLAYS_DIR } from '../../validate/src/paths';
import { findObject, type Workload } from '../../validate/src/manifest';
import { renderKustomization } from '../../validate/src/render';
import { newPassword } from './helpers/passwords';
import { ServerProcess } from './helpers/servers';

const run = promisify(execFile);
const logger = createLogger({ name: 'redis-auth-test', level: 'silent' });

/** The Redis container of overlays/dev, as kustomize renders it. */
function redisContainer(): IContainer {
  const objects = renderKustomization(path.join(OVERLAYS_DIR, 'dev'));
  const container = findObject<Workload>(objects, 'StatefulSet', 'expiration-redis')?.spec.template.spec.containers[0];
  if (!container) throw new Error('overlays/dev has no expiration-redis');
  return container;
}

describe('Redis with the password of the manifests', () => {
  const password = newPassword();
  const container = redisContainer();
  let dir: string;
  let port: number;
  let server: ServerProcess;
  const queues: ExpirationQueue[] = [];

  const queue = (redisPassword: string | undefined): ExpirationQueue => {
    const expirations = createExpirationQueue({
      redis: { host: '127.0.0.1', port, password: redisPassword, commandTimeoutMs: 2_000 },
      prefix: 'redis-auth-test',
      publishAttempts: 1,
      backoffMs: 10,
      backoffMaxMs: 10,
      retentionSeconds: 3_600,
      logger,
    });
    queues.push(expirations);
    return expirations;
  };

  /** Runs a probe's command as the kubelet would, with REDISCLI_AUTH in the environment; resolves to its exit code. */
  const probe = async (kind: 'readinessProbe' | 'livenessProbe', auth: string): Promise<number> => {
    const [command, ...args] = (container[kind]?.exec?.command ?? []).map((arg) =>
      arg.replace('-p 6379', `-p ${port}`),
    );
    try {
      await run(command, args, { env: { ...process.env, REDISCLI_AUTH: auth } });
      return 0;
    } catch (err) {
      return (err as { code: number }).code;
    }
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-auth-'));
    port = await freePort();
    // The StatefulSet's arguments, with the Secret's value where the kubelet puts it and the volume in a folder.
    const args = (container.args ?? [])
      .slice(1)
      .map((arg) => (arg === '$(REDISCLI_AUTH)' ? password : arg === '/data' ? dir : arg));
    server = await ServerProcess.start(
      'redis-server',
      [...args, '--port', String(port), '--bind', '127.0.0.1'],
      {},
      'Ready to accept connections',
    );
  });

  afterAll(async () => {
    for (const expirations of queues) {
      await expirations.close();
      await expirations.disconnect();
    }
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs redis-server with a requirepass taken from the Secret', () => {
    expect(container.args).toEqual(expect.arrayContaining(['--requirepass', '$(REDISCLI_AUTH)']));
    expect(container.env).toContainEqual({
      name: 'REDISCLI_AUTH',
      valueFrom: { secretKeyRef: { name: 'expiration-redis', key: 'password' } },
    });
  });

  it("with the password, the expiration service's queue schedules a job and answers its ping", async () => {
    const expirations = queue(password);

    const result = await expirations.scheduleExpiration('0123456789abcdef01234567', new Date(Date.now() + 60_000));

    expect(result.outcome).toBe('scheduled');
    await expect(expirations.ping()).resolves.toBe(true);
  });

  it('with a wrong password, the queue fails its ping, so the service is not ready', async () => {
    const expirations = queue(newPassword());

    await expect(expirations.ping()).rejects.toThrow(/WRONGPASS|invalid username-password/);
  });

  it('without a password, Redis refuses every command', async () => {
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 });
    // ioredis also reports the refusal as an error event; the assertion is on the command's.
    client.on('error', () => undefined);
    try {
      await expect(client.get('anything')).rejects.toThrow(/NOAUTH/);
    } finally {
      client.disconnect();
    }
  });

  it("the StatefulSet's probes pass with the Secret's password in REDISCLI_AUTH, and readiness fails with another", async () => {
    expect(await probe('readinessProbe', password)).toBe(0);
    expect(await probe('livenessProbe', password)).toBe(0);
    expect(await probe('readinessProbe', newPassword())).not.toBe(0);
  });
});
