import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** How a child ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Epoch milliseconds. */
  at: number;
}

/** Options of {@link ManagedChild.spawn}. */
export interface ManagedChildOptions {
  /** Shown in errors. */
  name: string;
  command: string;
  args: string[];
  /** Put over the parent's environment. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Appends stdout and stderr to this file. The child writes it directly, so
   * the benchmark spends no CPU reading logs while it measures.
   */
  logFile?: string;
  /** Receives each stdout line when there is no `logFile`. */
  onLine?: (line: string) => void;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A child process whose exit can be awaited, stopped gracefully or killed. */
export class ManagedChild {
  /** Epoch milliseconds of the spawn. */
  readonly spawnedAt = Date.now();
  /** Resolves when the process has exited and its output is read to the end. */
  readonly exited: Promise<ChildExit>;
  /** Set once it has exited. */
  exit?: ChildExit;
  private readonly stderrTail: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly name: string,
  ) {
    live.add(child);
    this.exited = new Promise((resolve) => {
      const settle = (code: number | null, signal: NodeJS.Signals | null) => {
        live.delete(child);
        this.exit ??= { code, signal, at: Date.now() };
        resolve(this.exit);
      };
      // 'close' comes after 'exit' once stdio is drained, so no line is missed;
      // 'error' (the command could not start) gets no 'close' of its own.
      child.once('close', settle);
      child.once('error', (err) => {
        this.stderrTail.push(String(err));
        settle(null, null);
      });
    });
  }

  /**
   * Starts a child process.
   *
   * @param options - the command and where its output goes
   * @returns the running child
   */
  static spawn(options: ManagedChildOptions): ManagedChild {
    installExitHook();
    let fd: number | undefined;
    if (options.logFile) fd = openSync(options.logFile, 'a');
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd],
    });
    if (fd !== undefined) closeSync(fd);
    const managed = new ManagedChild(child, options.name);
    if (child.stdout) {
      const onLine = options.onLine;
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => onLine?.(line));
    }
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        managed.stderrTail.push(line);
        if (managed.stderrTail.length > 40) managed.stderrTail.shift();
      });
    }
    return managed;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.exit === undefined;
  }

  /** The last lines the child wrote to stderr (when its output is piped). */
  get stderr(): string {
    return this.stderrTail.join('\n');
  }

  /**
   * Sends a signal.
   *
   * @param signal - SIGKILL unless given
   */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running) this.child.kill(signal);
  }

  /**
   * SIGTERM, then SIGKILL if it has not exited within `timeoutMs`.
   *
   * @returns how it exited
   */
  async stop(timeoutMs = 20_000): Promise<ChildExit> {
    if (!this.running) return this.exited;
    this.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.kill('SIGKILL');
      return this.exited;
    }
    return result;
  }
}

/** No child outlives the benchmark, even when it fails half-way. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}
