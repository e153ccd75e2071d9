import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { acceptsConnections, waitFor } from '../../testing/wait-for';

/**
 * A nats-server with JetStream of the test's own, which the test can stop and
 * start again on the same port and store directory.
 */
export class NatsServer {
  private readonly output: string[] = [];

  private constructor(private readonly proc: ChildProcess) {
    proc.stdout?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
  }

  /**
   * @param port - its client port
   * @param storeDir - where JetStream keeps its data; the same one on a restart keeps the streams
   * @returns once it accepts connections
   */
  static async start(port: number, storeDir: string): Promise<NatsServer> {
    const proc = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new NatsServer(proc);
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`nats-server exited:\n${server.output.join('')}`);
        return server.output.join('').includes('Server is ready') && (await acceptsConnections(port));
      },
      { what: 'nats-server to be ready', timeoutMs: 20_000, intervalMs: 50 },
    );
    return server;
  }

  /** Stops it and waits until it has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = once(this.proc, 'exit');
    this.proc.kill(signal);
    await exited;
  }
}
