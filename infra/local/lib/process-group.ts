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
