import type { ManagedChild } from '../src/lib/child-process';
import { spawnService, waitServiceReady } from '../src/lib/service-process';
import { sleep, waitFor } from '../src/lib/wait';

/** One JSON line the service logged, tagged with the process it came from. */
export interface ServiceLogLine {
  level: string;
  msg: string;
  /** 1 for the first process, 2 after the first restart, and so on. */
  incarnation: number;
  [field: string]: unknown;
}

/** One exit of the service. */
export interface ServiceExit {
  incarnation: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True for the SIGKILLs the suite sends and the final SIGTERM; false is a crash. */
  expected: boolean;
  at: number;
}

/** Options of a {@link ServiceSupervisor}. */
export interface ServiceSupervisorOptions {
  launch: 'dist' | 'tsx';
  env: Record<string, string>;
  healthPort: number;
}

/**
 * Runs the expiration service the way Kubernetes would: restarts it whenever
 * it exits, and keeps every line it logged. An exit the suite did not cause is
 * a crash; several in a row would be a crash loop.
 */
export class ServiceSupervisor {
  readonly lines: ServiceLogLine[] = [];
  readonly exits: ServiceExit[] = [];
  /** Lines that were not JSON (a stack trace on stderr is not among them: it goes to `stderr` of the child). */
  readonly rawLines: string[] = [];
  private child?: ManagedChild;
  private incarnation = 0;
  private expectingExit = false;
  private stopping = false;
  private restarting?: Promise<void>;

  constructor(private readonly options: ServiceSupervisorOptions) {}

  /** Crashes: exits the suite did not cause. */
  get unexpectedExits(): ServiceExit[] {
    return this.exits.filter((e) => !e.expected);
  }

  /** Starts the first process and waits until it is ready. */
  async start(): Promise<void> {
    this.spawn();
    await this.waitReady();
  }

  /**
   * SIGKILLs the service, as a node failure or the OOM killer would, and waits
   * until the supervisor has it running and ready again.
   */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) throw new Error('the service is not running');
    this.expectingExit = true;
    child.kill('SIGKILL');
    await child.exited;
    await this.restarting;
    await this.waitReady();
  }

  /** Whether the service answers /readyz with 200 right now. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    await waitFor(() => this.child, { timeoutMs, what: 'a service process' });
    const child = this.child as ManagedChild;
    await waitServiceReady(child, this.options.healthPort, timeoutMs);
  }

  /**
   * Stops supervising and sends SIGTERM.
   *
   * @returns how the last process exited
   */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    this.stopping = true;
    await this.restarting;
    return this.child?.stop(30_000);
  }

  private spawn(): void {
    const incarnation = ++this.incarnation;
    const child = spawnService({
      launch: this.options.launch,
      env: this.options.env,
      name: `expiration#${incarnation}`,
      onLine: (line) => {
        try {
          this.lines.push({ ...(JSON.parse(line) as object), incarnation } as ServiceLogLine);
        } catch {
          this.rawLines.push(line);
        }
      },
    });
    this.child = child;
    void child.exited.then((exit) => {
      // A SIGKILL of the suite, or the final SIGTERM.
      const expected = this.expectingExit || this.stopping;
      this.expectingExit = false;
      this.exits.push({ incarnation, code: exit.code, signal: exit.signal, expected, at: exit.at });
      if (!expected && !this.stopping) {
        console.warn(
          `expiration#${incarnation} exited on its own (code ${exit.code}, signal ${exit.signal})\n${child.stderr}`,
        );
      }
      if (this.stopping) return;
      // Kubernetes restarts at once, then backs off when a container keeps failing.
      const crashes = this.unexpectedExits.length;
      this.restarting = sleep(expected ? 250 : Math.min(10_000, 1_000 * 2 ** crashes)).then(() => {
        if (!this.stopping) this.spawn();
      });
    });
  }
}
