import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Writable } from 'node:stream';
import { LogError, LogExit, LogOutput, Logger, createConcurrently, type Command } from 'concurrently';
import { prettyFactory } from 'pino-pretty';
import { waitFor } from '@grider-ms-tickets/common/testing';
import { readyz } from './preflight';
import type { LevelWithSilent } from 'pino';

export type ServiceName = 'expiration' | 'orders';

/** The repository's root folder, where each service is a workspace. */
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Everything the two services need to run against local servers. */
export interface SystemOptions {
  redis: { host: string; port: number; password?: string };
  nats: { url: string; stream: string; subjectPrefix?: string };
  /** Bull's key prefix. */
  queuePrefix: string;
  jwtKey: string;
  ordersPort: number;
  healthPort: number;
  expirationWindowSeconds: number;
  store: { kind: 'mongo'; uri: string } | { kind: 'memory' };
  logLevel: LevelWithSilent;
  /** `tsx watch`, restarting a service when its sources or common's change (`npm run dev`); else one plain process. */
  watch: boolean;
  /** Where the services' lines go, each after its `[service]` prefix, pino JSON made readable. */
  output: Writable;
  /** Colours in that output. */
  color: boolean;
}

/** The two services, starting or running. */
export type RunningSystem = ReturnType<typeof launchSystem>;

/**
 * Each service's variables (see expiration/src/config.ts and orders/src/config.ts),
 * to lay over the launcher's environment. Undefined means unset, even if the
 * launcher's shell has it.
 */
export function serviceEnvs(options: SystemOptions): Record<ServiceName, Record<string, string | undefined>> {
  const shared = {
    // Under jest these would leak in; the services are not under test here.
    JEST_WORKER_ID: undefined,
    NODE_ENV: 'development',
    EVENT_BUS: 'jetstream',
    NATS_URL: options.nats.url,
    NATS_STREAM: options.nats.stream,
    NATS_SUBJECT_PREFIX: options.nats.subjectPrefix,
    LOG_LEVEL: options.logLevel,
  };
  const expiration = {
    REDIS_HOST: options.redis.host,
    REDIS_PORT: String(options.redis.port),
    REDIS_PASSWORD: options.redis.password,
    QUEUE_PREFIX: options.queuePrefix,
    HEALTH_PORT: String(options.healthPort),
  };
  const orders = {
    JWT_KEY: options.jwtKey,
    ORDERS_STORE: options.store.kind,
    MONGO_URI: options.store.kind === 'mongo' ? options.store.uri : undefined,
    PORT: String(options.ordersPort),
    EXPIRATION_WINDOW_SECONDS: String(options.expirationWindowSeconds),
  };
  return { expiration: { ...shared, ...expiration }, orders: { ...shared, ...orders } };
}

/**
 * Makes pino's JSON lines readable with pino-pretty: time, level, message,
 * then the other fields on one line. Other lines (tsx's restart notices, a
 * stack trace printed before the logger exists) pass through unchanged.
 */
export function prettyLines(color: boolean): (text: string) => string {
  // The prefix already names the service.
  const pretty = prettyFactory({
    colorize: color,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name',
    singleLine: true,
  });
  return (text) => text.replace(/^\{"level":.*$/gm, (line) => pretty(line).trimEnd());
}

/** concurrently's logger, with the services' pino lines made readable. */
class ServiceLogger extends Logger {
  private readonly pretty: (text: string) => string;

  constructor(color: boolean) {
    super({ prefixFormat: '[{name}]' });
    this.setPrefixLength('[expiration]'.length);
    this.toggleColors(color);
    this.pretty = prettyLines(color);
  }

  override logCommandText(text: string, command: Command): void {
    super.logCommandText(this.pretty(text), command);
  }
}

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** The services' process groups that are still running. */
const groups = new Set<number>();
// Synchronous, so that it runs however the launcher ends: no service outlives it.
process.on('exit', () => groups.forEach((pid) => signalGroup(pid, 'SIGKILL')));

/** Signals a whole process group, ignoring one that is gone. */
function signalGroup(pid: number, signal = 'SIGTERM'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group
  }
}

/**
 * Starts expiration and orders from their TypeScript sources with concurrently.
 * tsx finds the root tsconfig.json, whose `paths` point
 * `@grider-ms-tickets/common` at common's sources: nothing has to be built.
 *
 * @param options - servers, ports, store, output
 * @returns at once, so that a Ctrl-C during start-up can stop them: `ready`, which settles once both answer /readyz
 *   (and rejects, both stopped, if one exits or the time runs out first); `crashed`, which settles with the name of
 *   one that exits before `stop()` (orders, then expiration, each with its own shutdown routine; safe to call twice);
 *   and `lastLines(n)` they wrote, to explain a failure
 */
export function launchSystem(options: SystemOptions) {
  const envs = serviceEnvs(options);
  const tsx = options.watch
    ? `${quote(require.resolve('tsx/cli'))} watch --clear-screen=false`
    : `--import ${quote(pathToFileURL(require.resolve('tsx')).href)}`;
  const logger = new ServiceLogger(options.color);
  let tail = '';
  logger.output.subscribe(({ text }) => (tail = (tail + text).slice(-20_000)));
  const { commands, result } = createConcurrently(
    (['expiration', 'orders'] as const).map((name) => ({
      name,
      command: `exec ${quote(process.execPath)} ${tsx} src/index.ts`,
      cwd: path.join(REPO_ROOT, name),
      env: envs[name],
      prefixColor: name === 'orders' ? 'cyan' : 'magenta',
    })),
    {
      logger,
      outputStream: options.output,
      controllers: [new LogError({ logger }), new LogOutput({ logger }), new LogExit({ logger })],
      // Each service leads a process group of its own: the terminal's Ctrl-C reaches the launcher only, which
      // stops them in order, and one signal reaches tsx's child too. When the leader ends, the rest of it goes.
      spawn: (command, spawnOptions) => {
        const child = spawn('/bin/sh', ['-c', command], { ...spawnOptions, detached: true });
        const { pid } = child;
        if (pid === undefined) return child;
        groups.add(pid);
        child.once('exit', () => {
          groups.delete(pid);
          signalGroup(pid, 'SIGKILL');
        });
        return child;
      },
      kill: signalGroup,
    },
  );
  result.catch(() => undefined); // each exit is handled below
  const closed = commands.map((c) => new Promise<void>((resolve) => c.close.subscribe(() => resolve())));
  let stopping: Promise<void> | undefined;
  const stopOne = async (i: number) => {
    commands[i].kill('SIGTERM');
    const timer = setTimeout(() => commands[i].kill('SIGKILL'), 15_000);
    await closed[i];
    clearTimeout(timer);
  };
  // orders (1) first: it publishes order:cancelled while it handles expiration:complete.
  const stop = () => (stopping ??= stopOne(1).then(() => stopOne(0)));
  const crashed = Promise.race(
    closed.map((done, i) => done.then(() => (stopping ? new Promise<string>(() => undefined) : commands[i].name))),
  );

  const ordersUrl = `http://127.0.0.1:${options.ordersPort}`;
  const expirationUrl = `http://127.0.0.1:${options.healthPort}`;
  // Both have 90 s to answer /readyz (tsx compiles on the fly, on a machine that may be busy); under watch, a
  // service that fails to start waits for a fix.
  const ready = waitFor(
    async () => {
      const gone = commands.find((c) => c.state === 'exited' || c.state === 'errored');
      if (gone) return `${gone.name} exited during start-up`;
      const answers = await Promise.all([readyz(expirationUrl), readyz(ordersUrl)]);
      return answers.every((a) => a?.ready) ? 'ready' : undefined;
    },
    'expiration and orders to answer /readyz',
    { timeoutMs: options.watch ? Infinity : 90_000, intervalMs: 250 },
  )
    .catch((err: Error) => err.message)
    .then(async (outcome) => {
      if (outcome === 'ready') return;
      await stop();
      throw new Error(outcome);
    });
  ready.catch(() => undefined); // a caller that stops before awaiting `ready`
  const lastLines = (count: number) => tail.trimEnd().split('\n').slice(-count);
  return { ready, ordersUrl, expirationUrl, crashed, lastLines, stop };
}
