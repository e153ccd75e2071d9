import { get } from 'node:http';
import path from 'node:path';
import { ManagedChild } from './child-process';
import { REPO_ROOT, tsxArgs } from './paths';
import { sleep } from './wait';

/** How to start the expiration service. */
export interface ServiceProcessOptions {
  /** Its build, or its sources through tsx. */
  launch: 'dist' | 'tsx';
  /** Its whole configuration (the variables of expiration/src/config.ts). */
  env: Record<string, string>;
  /** Where its output goes (appended). Without one, `onLine` gets each stdout line. */
  logFile?: string;
  onLine?: (line: string) => void;
  name?: string;
  /** Node options put before the script, such as `--cpu-prof`. */
  nodeArgs?: string[];
}

/**
 * Starts the real expiration service as a child process: `node
 * expiration/dist/index.js`, or `expiration/src/index.ts` with tsx's loader.
 *
 * @param options - launch mode, environment and output
 * @returns the running child; see {@link waitServiceReady}
 */
export function spawnService(options: ServiceProcessOptions): ManagedChild {
  const args =
    options.launch === 'dist'
      ? [path.join('expiration', 'dist', 'index.js')]
      : tsxArgs(path.join('expiration', 'src', 'index.ts'));
  return ManagedChild.spawn({
    name: options.name ?? 'expiration',
    command: process.execPath,
    args: [...(options.nodeArgs ?? []), ...args],
    cwd: REPO_ROOT,
    env: options.env,
    logFile: options.logFile,
    onLine: options.onLine,
  });
}

/**
 * Polls `/readyz` until it answers 200 (Redis and NATS reachable, listeners up).
 *
 * @param child - the service, so that an early exit fails at once
 * @param port - its HEALTH_PORT
 * @param timeoutMs - how long start-up may take
 * @returns epoch milliseconds of the first 200
 * @throws Error when the child exits first or the timeout passes
 */
export async function waitServiceReady(child: ManagedChild, port: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exit) {
      throw new ChildExitedError(
        `${child.name} exited (code ${child.exit.code}, signal ${child.exit.signal}) before it was ready\n${child.stderr}`,
      );
    }
    if ((await httpStatus(port, '/readyz')) === 200) return Date.now();
    if (Date.now() > deadline) throw new Error(`${child.name} was not ready on port ${port} within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** A child exited while it was awaited. */
export class ChildExitedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChildExitedError';
  }
}

/**
 * GETs a path on 127.0.0.1 without keep-alive, so that no socket outlives the
 * check (jest would wait for it).
 *
 * @returns the status code, or undefined when nothing answers
 */
export function httpStatus(port: number, urlPath: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}
