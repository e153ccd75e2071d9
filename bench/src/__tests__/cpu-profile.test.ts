import path from 'node:path';
import { groupOf, summarizeProfile, type CpuProfile } from '../lib/cpu-profile';

const ROOT = '/repo';
const url = (file: string) => `file://${path.join(ROOT, file)}`;

/** A profile of the given frames, sampled in order, each sample lasting `ms`. */
function profileOf(frames: Array<{ fn: string; url?: string; ms: number }>): CpuProfile {
  const nodes = frames.map((f, i) => ({
    id: i + 1,
    callFrame: { functionName: f.fn, url: f.url ?? '', lineNumber: 9, columnNumber: 0 },
  }));
  // A sample's time runs until the next one, so each delta is the previous frame's length.
  const timeDeltas = frames.map((_, i) => (i === 0 ? 0 : frames[i - 1].ms * 1000));
  const total = frames.reduce((sum, f) => sum + f.ms * 1000, 0);
  return { nodes, startTime: 0, endTime: total, samples: nodes.map((n) => n.id), timeDeltas };
}

describe('groupOf', () => {
  it.each([
    ['sendCommand', url('node_modules/ioredis/built/Redis.js'), 'ioredis'],
    ['parseBulkString', url('node_modules/redis-parser/lib/parser.js'), 'ioredis'],
    ['Job.fromJSON', url('node_modules/bull/lib/job.js'), 'bull'],
    ['cloneDeep', url('node_modules/bull/node_modules/lodash/lodash.js'), 'bull'],
    ['_publish', url('node_modules/@nats-io/jetstream/lib/jsclient.js'), 'nats'],
    ['write', url('node_modules/sonic-boom/index.js'), 'pino'],
    ['parse', url('node_modules/zod/v4/core/core.js'), 'zod'],
    ['handle', url('node_modules/express/lib/router.js'), 'express'],
    ['processor', url('expiration/dist/queues/expiration-processor.js'), 'expiration'],
    ['publish', url('common/src/events/publisher.ts'), 'common'],
    ['writeBuffer', '', 'node: socket writes'],
    ['writeUtf8String', '', 'node: socket writes'],
    ['wrapSafe', 'node:internal/modules/cjs/loader', 'node: module loading'],
    ['internalModuleStat', '', 'node: module loading'],
    ['runMicrotasks', '', 'node internals'],
    ['emit', 'node:events', 'node internals'],
    ['(garbage collector)', '', 'GC'],
    ['(program)', '', 'native (V8, libuv, syscalls)'],
    ['x', '/elsewhere/app.js', 'other'],
    ['x', '[eval]', 'other'],
  ])('puts %s from %s in %s', (fn, where, group) => {
    expect(groupOf({ functionName: fn, url: where }, ROOT)).toBe(group);
  });

  it('tells a file write (the logs) from a socket write by its caller', () => {
    const write = { functionName: 'writeString', url: '' };

    expect(groupOf(write, ROOT, { url: 'node:fs' })).toBe('node: file writes');
    expect(groupOf(write, ROOT, { url: 'node:internal/stream_base_commons' })).toBe('node: socket writes');
  });

  it('leaves idle time out', () => {
    expect(groupOf({ functionName: '(idle)', url: '' }, ROOT)).toBeUndefined();
  });
});

describe('summarizeProfile', () => {
  const redis = url('node_modules/ioredis/built/Redis.js');
  const nats = url('node_modules/@nats-io/nats-core/lib/nats.js');

  it('sums the busy time by group and by function, idle time left out', () => {
    const profile = profileOf([
      { fn: 'sendCommand', url: redis, ms: 30 },
      { fn: '(idle)', ms: 100 },
      { fn: 'request', url: nats, ms: 10 },
      { fn: 'sendCommand', url: redis, ms: 10 },
    ]);

    const [slice, ...more] = summarizeProfile(profile, { repoRoot: ROOT });

    expect(more).toEqual([]);
    expect(slice.busyMs).toBeCloseTo(50);
    expect(slice.groups).toEqual([
      { group: 'ioredis', ms: 40 },
      { group: 'nats', ms: 10 },
    ]);
    expect(slice.functions[0]).toEqual({
      name: 'sendCommand',
      location: 'ioredis/built/Redis.js:10',
      group: 'ioredis',
      ms: 40,
    });
  });

  it('with splitIdleMs, summarises each busy stretch between long idle gaps on its own', () => {
    const profile = profileOf([
      { fn: 'sendCommand', url: redis, ms: 20 },
      { fn: '(idle)', ms: 50 },
      { fn: 'sendCommand', url: redis, ms: 20 },
      { fn: '(idle)', ms: 600 },
      { fn: 'request', url: nats, ms: 30 },
      { fn: '(idle)', ms: 1 },
    ]);

    const slices = summarizeProfile(profile, { repoRoot: ROOT, splitIdleMs: 500 });

    expect(slices.map((s) => ({ from: s.fromMs, to: s.toMs, busy: s.busyMs, top: s.groups[0].group }))).toEqual([
      { from: 0, to: 90, busy: 40, top: 'ioredis' },
      { from: 690, to: 720, busy: 30, top: 'nats' },
    ]);
  });
});
