/**
 * Runs the expiration service, a nats-server or a redis-server as a child
 * process for the end-to-end tests. Not part of the build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { acceptsConnections } from '@grider-ms-tickets/common/testing';
import { waitFor } from './helpers';

const EXPIRATION_DIR = path.resolve(__dirname, '..', '..');

/** How a child process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process whose output is kept, and whose end can be awaited. */
export class Child {
  readonly output: string[] = [];
  readonly exited: Promise<Exit>;

  constructor(readonly proc: ChildProcess) {
    for (const stream of [proc.stdout, proc.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.output.push(line));
    }
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Whether it still runs. */
  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /**
   * Sends a signal and waits for the process to end.
   *
   * @param signal - such as SIGKILL or SIGTERM
   */
  async stop(signal: NodeJS.Signals): Promise<Exit> {
    if (this.running) this.proc.kill(signal);
    return this.exited;
  }
}

/** The service run from its sources, as `npm run dev` does, but without the watcher. */
export class ServiceProcess extends Child {
  /**
   * @param env - the service's variables (HEALTH_PORT included)
   */
  static start(env: NodeJS.ProcessEnv): ServiceProcess {
    // `node --import tsx`, not the tsx CLI: the CLI runs the program in a
    // second process, which a SIGKILL of the first would leave running.
    // tsx reads the root tsconfig.json, whose paths map @grider-ms-tickets/common to its sources.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
      cwd: EXPIRATION_DIR,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(child, Number(env.HEALTH_PORT));
  }

  private constructor(
    child: ChildProcess,
    readonly port: number,
  ) {
    super(child);
  }

  /** Resolves once GET /readyz answers 200; fails if the process ends first. */
  async ready(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      async () => {
        if (!this.running) throw new Error(`the service exited before it was ready:\n${this.output.join('\n')}`);
        try {
          const res = await fetch(`http://127.0.0.1:${this.port}/readyz`);
          return res.status === 200;
        } catch {
          return false;
        }
      },
      'the service to be ready',
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** The parsed JSON log lines with a given `msg`. */
  logs(msg: string): Record<string, unknown>[] {
    return this.output
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.msg === msg);
  }
}

/** A nats-server with JetStream of the test's own, which the test can stop and start again. */
export class NatsServerProcess extends Child {
  /**
   * @param port - its client port
   * @param storeDir - where JetStream keeps its data; reuse it to restart with the same streams
   */
  static async start(port: number, storeDir: string): Promise<NatsServerProcess> {
    const child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new NatsServerProcess(child);
    await waitFor(
      async () => {
        if (!server.running) throw new Error(`nats-server exited:\n${server.output.join('\n')}`);
        return server.output.some((line) => line.includes('Server is ready')) && (await acceptsConnections(port));
      },
      'nats-server to be ready',
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    return server;
  }
}

/**
 * A redis-server of the test's own, with nothing persisted, which the test can
 * freeze (SIGSTOP: connections stay open, nothing answers, as with a hung
 * server) and thaw.
 */
export class RedisServerProcess extends Child {
  /**
   * @param port - its port
   * @param extraArgs - more settings, such as `['--maxmemory', '64mb']`
   */
  static async start(port: number, extraArgs: readonly string[] = []): Promise<RedisServerProcess> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new RedisServerProcess(child);
    await waitFor(
      async () => {
        if (!server.running) throw new Error(`redis-server exited:\n${server.output.join('\n')}`);
        return (
          server.output.some((line) => line.includes('Ready to accept connections')) && (await acceptsConnections(port))
        );
      },
      'redis-server to be ready',
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    return server;
  }

  /** Freezes the server: it keeps its connections but answers nothing. */
  pause(): void {
    this.proc.kill('SIGSTOP');
  }

  /** Lets a frozen server run again. */
  resume(): void {
    if (this.running) this.proc.kill('SIGCONT');
  }
}

/**
 * A Redis Sentinel of the test's own, monitoring one master under a name. Its
 * config goes in `dir`, which Sentinel rewrites as it learns the topology.
 */
export class RedisSentinelProcess extends Child {
  /**
   * @param port - its port
   * @param dir - a folder of its own
   * @param master - the master it monitors, and the name it knows it by
   */
  static async start(port: number, dir: string, master: { port: number; name: string }): Promise<RedisSentinelProcess> {
    const configFile = path.join(dir, 'sentinel.conf');
    writeFileSync(
      configFile,
      `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor ${master.name} 127.0.0.1 ${master.port} 1\n`,
    );
    const child = spawn('redis-server', [configFile, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const sentinel = new RedisSentinelProcess(child);
    await waitFor(
      async () => {
        if (!sentinel.running) throw new Error(`redis-sentinel exited:\n${sentinel.output.join('\n')}`);
        return acceptsConnections(port);
      },
      'redis-sentinel to be ready',
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    return sentinel;
  }
}
