import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { waitFor } from '@grider-ms-tickets/common/testing';

/** A server process of the test's own: nats-server or redis-server. */
export class ServerProcess {
  private readonly output: string[] = [];

  private constructor(private readonly proc: ChildProcess) {
    proc.stdout?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
  }

  /**
   * Starts a server and waits until it says it is ready.
   *
   * @param command - the executable
   * @param args - its arguments
   * @param env - variables added to the environment
   * @param ready - what it prints once it accepts connections
   * @returns the running server
   * @throws if it exits first, with what it printed
   */
  static async start(
    command: string,
    args: readonly string[],
    env: Record<string, string>,
    ready: string,
  ): Promise<ServerProcess> {
    const proc = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new ServerProcess(proc);
    await waitFor(
      () => {
        if (proc.exitCode !== null) throw new Error(`${command} exited:\n${server.output.join('')}`);
        return server.output.join('').includes(ready);
      },
      `${command} to be ready`,
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    return server;
  }

  /** Everything it printed so far. */
  log(): string {
    return this.output.join('');
  }

  /** Stops it and waits until it has exited. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = once(this.proc, 'exit');
    this.proc.kill('SIGTERM');
    await exited;
  }
}
