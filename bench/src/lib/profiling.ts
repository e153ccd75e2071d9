import path from 'node:path';

/**
 * Node options for a child that may be CPU-profiled: when they hold
 * `--cpu-prof` and no `--cpu-prof-dir`, the profiles go to a folder of their
 * own under the run's log folder (node's default is the working folder, the
 * repository's root here). One folder per process rather than a fixed
 * `--cpu-prof-name`: a process started through tsx has a second thread (the
 * module loader's) that would write its profile over the main thread's.
 * Node's file names keep the pid and the thread id apart.
 *
 * @param nodeArgs - the options given on the command line
 * @param logDir - the run's log folder
 * @param name - the profile folder's name: which process and which start it is
 * @returns the options to start the child with
 */
export function profilingArgs(nodeArgs: readonly string[], logDir: string, name: string): string[] {
  if (!nodeArgs.includes('--cpu-prof') || nodeArgs.some((a) => a.startsWith('--cpu-prof-dir'))) return [...nodeArgs];
  return [...nodeArgs, `--cpu-prof-dir=${path.join(logDir, `${name}.cpuprofiles`)}`];
}
