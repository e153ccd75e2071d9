import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** The process groups started here and still running. */
const live = new Set<number>();
// Synchronous, so it runs however the launcher ends: no service or MongoDB outlives it.
process.on('exit', () => live.forEach((pid) => signalGroup(pid, 'SIGKILL')));

/**
 * Spawns a process that leads a group of its own, so that the terminal's Ctrl-C
 * reaches the launcher only, which stops everything in order, and so that one
 * signal reaches what the process started too (tsx's child, mongod).
 *
 * @param file - the program
 * @param args - its arguments
 * @param options - as child_process.spawn's
 * @returns the child
 */
export function spawnGroup(file: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const child = spawn(file, args, { ...options, detached: true });
  const pid = child.pid;
  if (pid !== undefined) {
    live.add(pid);
    // When the leader ends, whatever it started goes too.
    child.once('exit', () => {
      signalGroup(pid, 'SIGKILL');
      live.delete(pid);
    });
  }
  return child;
}

/**
 * @param pid - a group leader's pid
 * @param signal - such as SIGTERM
 */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals | string = 'SIGTERM'): void {
  try {
    if (pid !== undefined) process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group
  }
}
