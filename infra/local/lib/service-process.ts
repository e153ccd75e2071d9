import { spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { LineSplitter } from './log-lines';
import { TSX_CLI, TSX_LOADER, serviceDir, type ServiceName } from './paths';
import { forgetGroup, signalGroup, trackGroup } from './process-group';

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options of a {@link ServiceProcess}. */
export interface ServiceProcessOptions {
  name: ServiceName;
  /** The whole environment of the child. */
  env: NodeJS.ProcessEnv;
  /**
   * `tsx watch` (restarts on every change of its sources or common's, like the
   * service's own `npm run dev`), or one plain process (`node --import tsx`).
   */
  watch: boolean;
  /** Each line the service writes, stdout and stderr. */
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
}

/**
 * One service run from its TypeScript sources. tsx finds the root
 * tsconfig.json from the service's folder, whose `paths` point
 * `@grider-ms-tickets/common` at common's sources: nothing has to be built.
 *
 * The child gets a process group of its own, so the terminal's Ctrl-C reaches
 * the launcher only, and the launcher stops the services in order.
 */
export class ServiceProcess {
  /** Settles when the process has exited, for whatever reason. */
  readonly exited: Promise<ProcessExit>;
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private stopping?: Promise<void>;
  private exit?: ProcessExit;

  constructor(readonly options: ServiceProcessOptions) {
    const args = options.watch
      ? [TSX_CLI, 'watch', '--clear-screen=false', 'src/index.ts']
      : ['--import', pathToFileURL(TSX_LOADER).href, 'src/index.ts'];
    this.child = spawn(process.execPath, args, {
      cwd: serviceDir(options.name),
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackGroup(this.child.pid);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.child.once('error', (err) => {
        this.record(`could not start: ${err.message}`, 'stderr');
        this.exit = { code: 1, signal: null };
        resolve(this.exit);
      });
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      const splitter = new LineSplitter((line) => this.record(line, stream));
      const source = this.child[stream];
      source?.setEncoding('utf8');
      source?.on('data', (chunk: string) => splitter.push(chunk));
      source?.on('end', () => splitter.end());
    }
  }

  get name(): ServiceName {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether {@link ServiceProcess.stop} was called. */
  get stopRequested(): boolean {
    return this.stopping !== undefined;
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.exit === undefined;
  }

  /**
   * @param count - how many
   * @returns the last lines it wrote, raw, to explain a failure
   */
  lastLines(count = 20): string[] {
    return this.tail.slice(-count);
  }

  /**
   * Sends SIGTERM, which the service answers with its shutdown routine (tsx
   * passes it on), waits up to `timeoutMs`, then kills whatever is left of the
   * process group. Safe to call twice.
   *
   * @param timeoutMs - the grace period
   */
  stop(timeoutMs = 15_000): Promise<void> {
    this.stopping ??= (async () => {
      if (this.running) {
        try {
          this.child.kill('SIGTERM');
        } catch {
          // already gone
        }
        let timer: NodeJS.Timeout | undefined;
        const forced = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            this.record(`did not stop within ${timeoutMs} ms; killed`, 'stderr');
            signalGroup(this.child.pid, 'SIGKILL');
            resolve();
          }, timeoutMs);
        });
        await Promise.race([this.exited, forced]);
        clearTimeout(timer);
        await this.exited;
      }
      // tsx runs the service in a child of its own; make sure nothing of the group survives.
      signalGroup(this.child.pid, 'SIGKILL');
      forgetGroup(this.child.pid);
    })();
    return this.stopping;
  }

  /** Kills the whole process group at once, without a graceful shutdown. */
  kill(): void {
    signalGroup(this.child.pid, 'SIGKILL');
  }

  private record(line: string, stream: 'stdout' | 'stderr'): void {
    this.tail.push(line);
    if (this.tail.length > 200) this.tail.shift();
    this.options.onLine(line, stream);
  }
}
