import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type Redis from 'ioredis';

let ticksPerSecond: number | undefined;

/**
 * CPU time (user + system) a process has used so far, from /proc (Linux).
 *
 * @param pid - the process
 * @returns milliseconds, or null where /proc is not available
 */
export function processCpuMs(pid: number): number | null {
  try {
    // Field 2 (comm) may contain spaces; the fields after its closing parenthesis are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after comm.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return null;
  }
}

/** CPU time of this process so far, in milliseconds. */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * CPU time the Redis server has used so far (INFO cpu). On a shared server it
 * includes other clients' work, so read it over short, quiet intervals.
 *
 * @param redis - a connection
 * @returns milliseconds
 */
export async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const value = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (value('used_cpu_user') + value('used_cpu_sys')) * 1000;
}
