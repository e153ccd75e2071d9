/** The process groups started here and not yet stopped. */
const live = new Set<number>();

/**
 * Signals a process group (children here are spawned `detached`, each leading
 * a group of its own), ignoring one that is already gone.
 *
 * @param pid - the group leader's pid
 * @param signal - such as SIGKILL
 */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group
  }
}

/**
 * Remembers a group until {@link forgetGroup}, so that {@link killLiveGroups}
 * can end it if the launcher exits first.
 *
 * @param pid - the group leader's pid
 */
export function trackGroup(pid: number | undefined): void {
  if (pid !== undefined) live.add(pid);
}

/** @param pid - a group that has stopped */
export function forgetGroup(pid: number | undefined): void {
  if (pid !== undefined) live.delete(pid);
}

/**
 * Kills every group still running. Synchronous, so it works in a process
 * `exit` handler: however the launcher ends, no service outlives it.
 */
export function killLiveGroups(): void {
  for (const pid of live) signalGroup(pid, 'SIGKILL');
  live.clear();
}
