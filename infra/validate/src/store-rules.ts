import type { IContainer } from 'kubernetes-models/v1';
import { commandLine, imageName, optionValue, runsJetStream, runsRedisServer } from './container-args';
import { containersOf, describe, type Workload } from './manifest';
import { Findings, type RuleContext, type Problem } from './rule-context';

/** A server that keeps data, and where it keeps it. */
interface Store {
  name: string;
  /** Whether this container runs it. */
  runs(container: IContainer): boolean;
  /** Its data folder, from its command line or its default. */
  dataDir(argv: readonly string[]): string | undefined;
  /** Its own settings to check. */
  check?(argv: readonly string[], at: string, found: Findings): void;
}

const STORES: readonly Store[] = [
  {
    name: 'Redis',
    // A Sentinel keeps no data: it learns the master, the replicas and the other Sentinels again at start.
    runs: runsRedisServer,
    dataDir: (argv) => optionValue(argv, ['--dir']) ?? '/data',
    check: checkRedis,
  },
  {
    name: 'MongoDB',
    runs: (c) => imageName(c) === 'mongo',
    dataDir: (argv) => optionValue(argv, ['--dbpath']) ?? '/data/db',
  },
  {
    name: 'NATS Streaming',
    runs: (c) => imageName(c) === 'nats-streaming',
    // Its default store is memory: a restart loses every channel and every durable's position.
    dataDir: (argv) => (isFileStore(argv) ? optionValue(argv, ['-dir', '--dir']) : undefined),
    check: checkNatsStreaming,
  },
  {
    name: 'NATS JetStream',
    runs: runsJetStream,
    // Without -sd the store goes to a folder in /tmp: never what we want.
    dataDir: (argv) => optionValue(argv, ['-sd', '--store_dir']),
  },
];

/**
 * Redis holds the pending expirations as delayed Bull jobs: it must write
 * every change to its append-only file, and must never evict a key.
 *
 * @param argv - redis-server's command line
 * @param at - where, for messages
 * @param found - the findings
 */
function checkRedis(argv: readonly string[], at: string, found: Findings): void {
  if (argv.some((arg) => arg.endsWith('.conf'))) {
    found.add(at, 'Redis reads a config file, which this check cannot see: give the settings as arguments');
  }
  const expect: [string, readonly string[], string][] = [
    ['--appendonly', ['yes'], 'a restart would lose every pending expiration'],
    ['--appendfsync', ['everysec', 'always'], 'no is up to the kernel, up to 30 s of expirations lost on a crash'],
    ['--maxmemory-policy', ['noeviction'], 'an evicted Bull job is an order that never expires'],
  ];
  for (const [option, allowed, why] of expect) {
    const value = optionValue(argv, [option]);
    if (!value || !allowed.includes(value)) {
      found.add(at, `redis-server needs ${option} ${allowed.join(' or ')} (it has ${value ?? 'none'}): ${why}`);
    }
  }
}

function isFileStore(argv: readonly string[]): boolean {
  return optionValue(argv, ['-st', '-store', '--store'])?.toLowerCase() === 'file';
}

/**
 * NATS Streaming keeps the events a service has not handled yet: it must keep
 * them in files, on the volume.
 *
 * @param argv - nats-streaming-server's command line
 * @param at - where, for messages
 * @param found - the findings
 */
function checkNatsStreaming(argv: readonly string[], at: string, found: Findings): void {
  if (!isFileStore(argv)) {
    found.add(
      at,
      'NATS Streaming needs -store file -dir <volume>: its default store is memory, and a restart loses every channel and durable subscription',
    );
  }
}

/**
 * Stores run as StatefulSets whose data folder is a PersistentVolumeClaim,
 * and Redis keeps an append-only file and evicts nothing.
 *
 * @param workloads - the workloads of one overlay
 * @param context - the overlay
 * @returns the problems
 */
export function checkStores(workloads: readonly Workload[], context: RuleContext): Problem[] {
  const found = new Findings('stores');
  for (const w of workloads) {
    for (const c of containersOf(w)) {
      const store = STORES.find((s) => s.runs(c));
      if (!store) continue;
      const at = `${context.where}: ${describe(w)}: container ${c.name}`;
      const argv = commandLine(c);
      store.check?.(argv, at, found);
      if (w.kind !== 'StatefulSet') {
        found.add(at, `${store.name} keeps data: run it as a StatefulSet with a volumeClaimTemplate, not a ${w.kind}`);
        continue;
      }
      const dir = store.dataDir(argv);
      if (!dir) {
        found.add(at, `${store.name} has no data folder on its command line`);
        continue;
      }
      const claims = new Set([
        ...(w.spec.volumeClaimTemplates ?? []).map((t) => t.metadata?.name),
        ...(w.spec.template.spec.volumes ?? []).filter((v) => v.persistentVolumeClaim).map((v) => v.name),
      ]);
      const mount = (c.volumeMounts ?? [])
        .filter((m) => dir === m.mountPath || dir.startsWith(`${m.mountPath.replace(/\/$/, '')}/`))
        .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
      if (!mount || !claims.has(mount.name)) {
        found.add(
          at,
          `${store.name} keeps its data in ${dir}, which must be a PersistentVolumeClaim (volumeClaimTemplates)`,
        );
      }
    }
  }
  return found.problems;
}
