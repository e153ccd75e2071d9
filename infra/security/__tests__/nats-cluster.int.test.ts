/**
 * The JetStream cluster of overlays/prod-ha, as far as one machine can run it:
 * three nats-servers of the test's own read the config file kustomize renders
 * into the ConfigMap (nats-cluster.conf with the nats-auth.conf it includes),
 * with their routes moved from the pods' DNS names to loopback ports, each
 * named as its pod by NATS_SERVER_NAME, and the passwords in their environment
 * as the StatefulSet gives them. They must form one cluster in which the
 * orders user creates the stream with three replicas.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { freePort, waitFor } from '@grider-ms-tickets/common/testing';
import { natsServerConfig } from './helpers/manifest-config';
import { newPassword } from './helpers/passwords';
import { ServerProcess } from './helpers/servers';

const SERVERS = 3;

describe('the JetStream cluster of prod-ha', () => {
  let dir: string;
  const servers: ServerProcess[] = [];
  const clientPorts: number[] = [];
  let nc: NatsConnection | undefined;
  const passwords: Record<string, string> = {};

  beforeAll(async () => {
    const { conf, passwordVariables } = natsServerConfig('prod-ha', 'nats');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nats-cluster-'));
    const routePorts: number[] = [];
    for (let i = 0; i < SERVERS; i++) {
      clientPorts.push(await freePort());
      routePorts.push(await freePort());
    }
    const env: Record<string, string> = {};
    for (const { variable, secretKey } of passwordVariables) {
      passwords[secretKey] ??= newPassword();
      env[variable] = passwords[secretKey];
    }
    for (let i = 0; i < SERVERS; i++) {
      // Loopback instead of the pods' DNS names, which only the cluster's DNS resolves.
      const local = conf
        .replace(
          /nats:\/\/nats-(\d)\.nats-cluster:6222/g,
          (_url, n: string) => `nats://127.0.0.1:${routePorts[Number(n)]}`,
        )
        .replace(/^(\s*)port: 6222$/m, `$1port: ${routePorts[i]}`);
      expect(local).not.toContain('nats-cluster:6222');
      const file = path.join(dir, `nats-${i}.conf`);
      fs.writeFileSync(file, local);
      const args = [
        '-c',
        file,
        '-js',
        '-sd',
        path.join(dir, `store-${i}`),
        '-a',
        '127.0.0.1',
        '-p',
        `${clientPorts[i]}`,
      ];
      servers.push(
        await ServerProcess.start('nats-server', args, { ...env, NATS_SERVER_NAME: `nats-${i}` }, 'Server is ready'),
      );
    }
  });

  afterAll(async () => {
    await nc?.close();
    await Promise.allSettled(servers.map((s) => s.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('forms one cluster, in which the orders user creates the stream with a replica on each server', async () => {
    nc = await connect({
      servers: clientPorts.map((port) => `nats://127.0.0.1:${port}`),
      user: 'orders',
      pass: passwords.orders,
      // The orders user may subscribe to its own replies only (nats-auth.conf).
      inboxPrefix: '_INBOX.orders',
    });
    const connection = nc;
    // Until the cluster elects its JetStream leader, requests time out: waitFor tries again.
    const info = await waitFor(
      async () => {
        const jsm = await jetstreamManager(connection, { timeout: 2_000 });
        return jsm.streams.add({ name: 'ticketing', subjects: ['order:created'], num_replicas: SERVERS });
      },
      'the cluster to create the stream',
      { timeoutMs: 30_000, intervalMs: 500 },
    );

    const members = [info.cluster?.leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)];
    expect(info.config.num_replicas).toBe(SERVERS);
    expect(members.sort()).toEqual(['nats-0', 'nats-1', 'nats-2']);
  });
});
