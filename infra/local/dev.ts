/**
 * `npm run dev`: expiration and orders from their sources, restarted on every
 * change, in one terminal with prefixed logs (concurrently), against the local
 * Redis and NATS (JetStream). See README.md next to this file.
 */
import { checkServers, inspectPort } from './lib/preflight';
import { launchSystem, type RunningSystem } from './lib/services';
import { settingsOrExit } from './lib/settings';
import { chooseStoreLoudly, type OrdersStore } from './lib/store';
import { colorful, fail, note, ok, onInterrupt, paint, say, warn } from './lib/terminal';

async function main(): Promise<void> {
  const settings = settingsOrExit('dev');
  say(paint('bold', 'ticketing · npm run dev: expiration and orders from source, restarted on every change'));
  const serversOk = await checkServers(settings);
  let portsOk = true;
  const ports = [
    ['orders', settings.ordersPort, 'PORT'],
    ['expiration', settings.healthPort, 'HEALTH_PORT'],
  ] as const;
  for (const [service, port, variable] of ports) {
    const state = await inspectPort(port);
    if (state.state === 'free') continue;
    portsOk = false;
    const who =
      state.state === 'ours'
        ? `a ticketing service already answers there, ${state.ready ? 'ready' : 'not ready'} (another npm run dev?)`
        : 'it is in use by another program';
    fail(`Port ${port} (${service}): ${who}. Stop it, or set ${variable} to another port.`);
  }
  if (!serversOk || !portsOk) process.exit(1);

  // Filled in as they start, so that a Ctrl-C at any moment stops what there is.
  const opened: { store?: OrdersStore; system?: RunningSystem } = {};
  let stopping: Promise<void> | undefined;
  const stop = (code: number) =>
    (stopping ??= (async () => {
      note('… stopping orders, then expiration');
      await opened.system?.stop();
      await opened.store?.stop();
      process.exit(code);
    })());
  // A second Ctrl-C doesn't wait for the shutdowns: on exit, every process group still running is killed.
  onInterrupt(
    () => void stop(0),
    () => process.exit(130),
  );

  const store = (opened.store = await chooseStoreLoudly(settings));
  const { nats, redis } = settings;
  ok(
    `event bus: JetStream, stream ${nats.stream}${nats.subjectPrefix ? `, subject prefix ${nats.subjectPrefix}` : ''}`,
  );
  ok(`Redis ${redis.host}:${redis.port}, Bull prefix ${settings.queuePrefix}`);
  if (settings.jwtKeyIsDevDefault) {
    warn(`JWT_KEY=${settings.jwtKey}: a dev-only key; set JWT_KEY to sign sessions with another.`);
  }
  ok(`orders expire after ${settings.devWindowSeconds} s (EXPIRATION_WINDOW_SECONDS)`);
  note('… starting expiration and orders (tsx compiles on the fly; the first start takes a few seconds)');

  const startedAt = Date.now();
  const system = (opened.system = launchSystem({
    ...settings,
    store,
    expirationWindowSeconds: settings.devWindowSeconds,
    watch: true,
    output: process.stdout,
    color: colorful,
  }));
  void system.crashed.then((service) => {
    fail(`${service} stopped (its last lines are above); stopping the other.`);
    void stop(1);
  });
  const slow = setTimeout(() => {
    warn(
      'Not ready after 45 s. If a service failed to start (see its output above), fix it and save: tsx restarts it.',
    );
  }, 45_000);
  try {
    await system.ready;
  } catch (err) {
    if (stopping) return;
    fail(paint('bold', `${(err as Error).message} (its output is above)`));
    await stop(1);
    return;
  } finally {
    clearTimeout(slow);
  }
  const took = ((Date.now() - startedAt) / 1000).toFixed(1);
  ok(
    `${paint('bold', `ready in ${took} s:`)} orders ${system.ordersUrl}/api/orders · expiration ${system.expirationUrl}/readyz`,
  );
  if (settings.dashboardUser) {
    ok(
      `queue dashboard ${system.expirationUrl}/admin/queues (user ${settings.dashboardUser}, from DASHBOARD_CREDENTIALS)`,
    );
  }
  note(
    '  Edit a file in expiration/src, orders/src or common/src and that service restarts. Ctrl-C stops both.\n' +
      '  In another terminal, npm run demo plays the story against this system' +
      (settings.devWindowSeconds > 60 ? ' (start this one with EXPIRATION_WINDOW_SECONDS=10 for a quick run).' : '.'),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
