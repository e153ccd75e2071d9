import path from 'node:path';
import { ManagedChild, type ChildExit } from '../src/lib/child-process';
import { REPO_ROOT, tsxArgs } from '../src/lib/paths';
import { waitServiceReady } from '../src/lib/service-process';

/** The services a fault scenario can run. */
export type TicketingService = 'expiration' | 'orders';

/** One JSON line a service logged (pino). */
export interface LogLine {
  level: string;
  msg: string;
  /** ISO 8601, the service's clock (the same machine as the suite's). */
  time: string;
  [field: string]: unknown;
}

/** Options of {@link TicketingProcess.start}. */
export interface TicketingProcessOptions {
  service: TicketingService;
  /** Its whole configuration (the variables of `<service>/src/config.ts`). */
  env: Record<string, string>;
  /** Where it answers `/readyz`: HEALTH_PORT for expiration, PORT for orders. */
  healthPort: number;
  /** Shown in errors; the service's name unless given. */
  name?: string;
}

/** How long a service may take to become ready: tsx compiles it first, on a busy machine. */
const START_TIMEOUT_MS = 120_000;

/**
 * One of the services as a child process, started from its sources
 * (`node --import tsx <service>/src/index.ts`, as `npm run dev` does), so
 * that the suite runs the services exactly as they are in the working tree,
 * never a stale build. It keeps every line the service logged. Nothing
 * restarts it: an exit the suite did not ask for is a crash.
 */
export class TicketingProcess {
  readonly lines: LogLine[] = [];
  /** Lines that were not JSON. */
  readonly rawLines: string[] = [];
  /** Set when it exited before {@link TicketingProcess.stop} was called. */
  crash?: ChildExit;
  private stopping = false;

  private constructor(
    readonly name: string,
    readonly healthPort: number,
    private child?: ManagedChild,
  ) {}

  /**
   * Starts the service and waits until `/readyz` answers 200.
   *
   * @param options - which service, its environment and its health port
   * @returns the ready process
   * @throws Error when it exits first or is not ready in time
   */
  static async start(options: TicketingProcessOptions): Promise<TicketingProcess> {
    const name = options.name ?? options.service;
    const running = new TicketingProcess(name, options.healthPort);
    const child = ManagedChild.spawn({
      name,
      command: process.execPath,
      args: tsxArgs(path.join(options.service, 'src', 'index.ts')),
      cwd: REPO_ROOT,
      env: options.env,
      onLine: (line) => running.record(line),
    });
    running.child = child;
    void child.exited.then((exit) => {
      if (!running.stopping) running.crash = exit;
    });
    try {
      await waitServiceReady(child, options.healthPort, START_TIMEOUT_MS);
    } catch (err) {
      await running.stop();
      throw err;
    }
    return running;
  }

  /** The last lines it wrote to stderr. */
  get stderr(): string {
    return this.child?.stderr ?? '';
  }

  /**
   * @param msg - a log message, exactly
   * @returns the lines with that message
   */
  logged(msg: string): LogLine[] {
    return this.lines.filter((l) => l.msg === msg);
  }

  /**
   * Sends SIGTERM and waits for the exit (SIGKILL after 30 s).
   *
   * @returns how it exited
   */
  async stop(): Promise<ChildExit | undefined> {
    this.stopping = true;
    return this.child?.stop(30_000);
  }

  /**
   * SIGKILLs it, as a lost node or the OOM killer would: no shutdown, jobs and
   * messages in flight are left as they are. Not counted as a crash.
   *
   * @returns how it exited
   */
  async kill(): Promise<ChildExit | undefined> {
    this.stopping = true;
    this.child?.kill('SIGKILL');
    return this.child?.exited;
  }

  private record(line: string): void {
    try {
      this.lines.push(JSON.parse(line) as LogLine);
    } catch {
      this.rawLines.push(line);
    }
  }
}
