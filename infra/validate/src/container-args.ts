import type { IContainer } from 'kubernetes-models/v1';
import { parseImage } from './manifest';

/**
 * @param container - a container
 * @returns its command line as the manifest gives it: command, then args
 */
export function commandLine(container: IContainer): string[] {
  return [...(container.command ?? []), ...(container.args ?? [])];
}

/**
 * Reads the value of an option written `--name value`, `-name value` or
 * `--name=value`, as redis-server, mongod and nats-server take them.
 *
 * @param argv - a command line
 * @param names - the option's spellings, such as `['-sd', '--store_dir']`
 * @returns its last value (the one that wins), or undefined when it is absent
 */
export function optionValue(argv: readonly string[], names: readonly string[]): string | undefined {
  let value: string | undefined;
  argv.forEach((arg, i) => {
    for (const name of names) {
      if (arg === name && i + 1 < argv.length) value = argv[i + 1];
      else if (arg.startsWith(`${name}=`)) value = arg.slice(name.length + 1);
    }
  });
  return value;
}

/**
 * @param argv - a command line
 * @param names - a flag's spellings, such as `['-js', '--jetstream']`
 * @returns whether the flag is there
 */
export function hasFlag(argv: readonly string[], names: readonly string[]): boolean {
  return argv.some((arg) => names.includes(arg));
}

/**
 * @param container - a container
 * @returns its image's name, without registry, folder, tag or digest: `redis`, `nats`
 */
export function imageName(container: IContainer): string {
  return (
    parseImage(container.image ?? '')
      .repository.split('/')
      .pop() ?? ''
  );
}

/**
 * @param container - a container
 * @returns whether it runs nats-server with JetStream on
 */
export function runsJetStream(container: IContainer): boolean {
  return imageName(container) === 'nats' && hasFlag(commandLine(container), ['-js', '--jetstream']);
}

/**
 * @param container - a container
 * @returns whether it runs Redis Sentinel (`redis-server … --sentinel`, or `redis-sentinel`) rather than a Redis server
 */
export function runsSentinel(container: IContainer): boolean {
  const argv = commandLine(container);
  return imageName(container) === 'redis' && (hasFlag(argv, ['--sentinel']) || argv.includes('redis-sentinel'));
}

/**
 * @param container - a container
 * @returns whether it runs a Redis server: the redis image, not as a Sentinel
 */
export function runsRedisServer(container: IContainer): boolean {
  return imageName(container) === 'redis' && !runsSentinel(container);
}
