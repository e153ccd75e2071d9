import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A function of a profile: its name and where it is. */
export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that the summary reads. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: CallFrame;
    /** The ids of the functions it called. */
    children?: number[];
  }>;
  /** Microseconds, on V8's monotonic clock. */
  startTime: number;
  endTime: number;
  /** The node sampled at each tick. */
  samples: number[];
  /** Microseconds from the previous sample (the first: from `startTime`). */
  timeDeltas: number[];
}

/**
 * The groups a profile is summed into: the libraries of the expiration path,
 * with the packages they bring (a group named after none of these is the
 * package's own name).
 */
const GROUP_OF_PACKAGE: Record<string, string> = {
  ioredis: 'ioredis',
  '@ioredis/commands': 'ioredis',
  'redis-parser': 'ioredis',
  'redis-errors': 'ioredis',
  denque: 'ioredis',
  'cluster-key-slot': 'ioredis',
  'standard-as-callback': 'ioredis',
  debug: 'ioredis',
  bull: 'bull',
  lodash: 'bull',
  'cron-parser': 'bull',
  msgpackr: 'bull',
  uuid: 'bull',
  semver: 'bull',
  'get-port': 'bull',
  pino: 'pino',
  'sonic-boom': 'pino',
  'thread-stream': 'pino',
  'pino-std-serializers': 'pino',
  'pino-abstract-transport': 'pino',
  '@pinojs/redact': 'pino',
  'fast-redact': 'pino',
  'quick-format-unescaped': 'pino',
  'safe-stable-stringify': 'pino',
  'atomic-sleep': 'pino',
  'on-exit-leak-free': 'pino',
  'real-require': 'pino',
  'process-warning': 'pino',
  zod: 'zod',
  'prom-client': 'prom-client',
  tdigest: 'prom-client',
  bintrees: 'prom-client',
};

/**
 * Node's native writes: where the write syscalls are spent. Called by
 * `node:fs`, they write files (the logs, through pino's sonic-boom);
 * otherwise sockets (Redis, NATS), and their share tells the cost of the
 * round trips.
 */
const NATIVE_WRITES = new Set([
  'writeBuffer',
  'writev',
  'writeUtf8String',
  'writeString',
  'writeLatin1String',
  'writeAsciiString',
  'writeUcs2String',
]);

/** Native functions of module loading, which only start-up spends time in. */
const MODULE_LOADING = new Set([
  'internalModuleStat',
  'readFileUtf8',
  'compileFunction',
  'compileFunctionForCJSLoader',
]);

/** Names for V8's pseudo-frames. `(idle)` is not busy time and is kept apart. */
const PSEUDO_FRAMES: Record<string, string> = {
  '(garbage collector)': 'GC',
  '(program)': 'native (V8, libuv, syscalls)',
  '(root)': 'native (V8, libuv, syscalls)',
};

const IDLE = '(idle)';

/**
 * The group of a frame: a package group, `nats` for every `@nats-io/*`
 * package, the repository's own folders (`expiration`, `common`, `bench`),
 * node's socket writes, file writes and module loading (start-up), `node
 * internals` for the rest of node and V8's built-ins (JSON, RegExp, Map...),
 * GC, or native.
 *
 * @param frame - the call frame
 * @param repoRoot - the repository's root, to recognise its own code
 * @param caller - the frame that called it, which tells a file write from a socket write
 * @returns the group's name, or undefined for idle time
 */
export function groupOf(
  frame: Pick<CallFrame, 'functionName' | 'url'>,
  repoRoot: string,
  caller?: Pick<CallFrame, 'url'>,
): string | undefined {
  if (frame.functionName === IDLE) return undefined;
  if (!frame.url) {
    if (NATIVE_WRITES.has(frame.functionName)) {
      return caller?.url === 'node:fs' ? 'node: file writes' : 'node: socket writes';
    }
    if (MODULE_LOADING.has(frame.functionName)) return 'node: module loading';
    return PSEUDO_FRAMES[frame.functionName] ?? 'node internals';
  }
  if (/^node:internal\/(modules|bootstrap)\//.test(frame.url)) return 'node: module loading';
  if (frame.url.startsWith('node:')) return 'node internals';
  // WebAssembly: the module lexers of node's ESM loader and of tsx.
  if (frame.url.startsWith('wasm:')) return 'wasm (module lexers)';
  const file = filePath(frame.url);
  if (!file) return 'other';
  const pkg = packageOf(file);
  if (pkg) return pkg.startsWith('@nats-io/') ? 'nats' : (GROUP_OF_PACKAGE[pkg] ?? pkg);
  const relative = path.relative(repoRoot, file);
  if (!relative.startsWith('..') && !path.isAbsolute(relative)) return relative.split(path.sep)[0];
  return 'other';
}

/** The file of a script URL (`file:///…` or a bare path), or undefined for anything else (`[eval]`…). */
function filePath(url: string): string | undefined {
  if (url.startsWith('file:')) return fileURLToPath(url);
  return path.isAbsolute(url) ? url : undefined;
}

/** The package of a file under node_modules (the innermost one), or undefined. */
function packageOf(file: string): string | undefined {
  const parts = file.split(/[/\\]/);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0 || at + 1 >= parts.length) return undefined;
  return parts[at + 1].startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1];
}

/** Self time of one function. */
export interface FunctionTime {
  name: string;
  /** Where it is: the file relative to the repository (or node_modules), and the line. */
  location: string;
  group: string;
  ms: number;
}

/** Where the busy time of a stretch of a profile went. */
export interface ProfileSlice {
  /** From the start of the profile, in ms. */
  fromMs: number;
  toMs: number;
  /** Sampled time that was not idle. */
  busyMs: number;
  /** Busy ms per group, largest first. */
  groups: Array<{ group: string; ms: number }>;
  /** Busy ms per function, largest first. */
  functions: FunctionTime[];
}

/** Options of {@link summarizeProfile}. */
export interface SummarizeOptions {
  /** The repository's root, to tell its own code from its dependencies. */
  repoRoot: string;
  /**
   * Splits the profile into busy stretches wherever it was idle for at least
   * this long (e.g. storing, then waiting for expiresAt, then firing), and
   * summarises each. None: one slice for the whole profile.
   */
  splitIdleMs?: number;
}

/**
 * Self time of a profile, by group and by function: each sample counts for
 * the time until the next one.
 *
 * @param profile - a parsed `.cpuprofile`
 * @param options - the repository's root and the split
 * @returns one slice, or one per busy stretch with `splitIdleMs`
 */
export function summarizeProfile(profile: CpuProfile, options: SummarizeOptions): ProfileSlice[] {
  const { repoRoot, splitIdleMs } = options;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const callers = new Map<number, CallFrame>();
  for (const node of profile.nodes) for (const child of node.children ?? []) callers.set(child, node.callFrame);
  const endMs = (profile.endTime - profile.startTime) / 1000;
  const slices: ProfileSlice[] = [];
  let current: SliceBuilder | undefined;
  let idleSince: number | undefined;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    const frame = frames.get(profile.samples[i]);
    if (!frame) continue;
    const offsetMs = (at - profile.startTime) / 1000;
    const group = groupOf(frame, repoRoot, callers.get(profile.samples[i]));
    if (group === undefined) {
      idleSince ??= offsetMs;
      continue;
    }
    if (current && splitIdleMs !== undefined && idleSince !== undefined && offsetMs - idleSince >= splitIdleMs) {
      slices.push(current.finish(idleSince));
      current = undefined;
    }
    idleSince = undefined;
    current ??= new SliceBuilder(splitIdleMs === undefined ? 0 : offsetMs);
    const untilNext = i + 1 < profile.samples.length ? profile.timeDeltas[i + 1] : profile.endTime - at;
    current.add(group, frame, untilNext / 1000, repoRoot);
  }
  if (current) slices.push(current.finish(splitIdleMs === undefined ? endMs : (idleSince ?? endMs)));
  return slices;
}

class SliceBuilder {
  private busyMs = 0;
  private readonly groups = new Map<string, number>();
  private readonly functions = new Map<string, FunctionTime>();

  constructor(private readonly fromMs: number) {}

  add(group: string, frame: CallFrame, ms: number, repoRoot: string): void {
    this.busyMs += ms;
    this.groups.set(group, (this.groups.get(group) ?? 0) + ms);
    const key = `${frame.functionName}@${frame.url}:${frame.lineNumber}:${frame.columnNumber}`;
    let fn = this.functions.get(key);
    if (!fn) {
      fn = { name: frame.functionName || '(anonymous)', location: locationOf(frame, repoRoot), group, ms: 0 };
      this.functions.set(key, fn);
    }
    fn.ms += ms;
  }

  finish(toMs: number): ProfileSlice {
    return {
      fromMs: this.fromMs,
      toMs,
      busyMs: this.busyMs,
      groups: [...this.groups].map(([group, ms]) => ({ group, ms })).sort((a, b) => b.ms - a.ms),
      functions: [...this.functions.values()].sort((a, b) => b.ms - a.ms),
    };
  }
}

/** `file:line`, relative to node_modules or to the repository; V8's lines are 0-based. */
function locationOf(frame: { url: string; lineNumber: number }, repoRoot: string): string {
  if (!frame.url) return '';
  const file = filePath(frame.url);
  if (!file) return `${frame.url}:${frame.lineNumber + 1}`;
  const modules = `node_modules${path.sep}`;
  const inModules = file.lastIndexOf(modules);
  const shown = inModules >= 0 ? file.slice(inModules + modules.length) : path.relative(repoRoot, file);
  return `${shown}:${frame.lineNumber + 1}`;
}
