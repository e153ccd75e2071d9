import { spawnSync } from 'node:child_process';

/** Where the mongo contract suite gets its MongoDB, or why it can't. */
export type MongoSource = { kind: 'uri'; uri: string } | { kind: 'memory-server' } | { kind: 'none'; reason: string };

// Runs in a child process so that the decision is made synchronously, while
// jest collects the tests: describe() can't wait for a promise. It starts and
// stops one mongod, which also downloads the binary into the cache on the
// first run, so the suite's own MongoMemoryServer.create() starts fast.
const PROBE = `
const { MongoMemoryServer } = require('mongodb-memory-server');
MongoMemoryServer.create()
  .then((server) => server.stop())
  .then(
    () => process.exit(0),
    (err) => {
      process.stdout.write(String((err && err.message) || err).split('\\n').join(' '));
      process.exit(1);
    },
  );
`;

/**
 * Finds a MongoDB for the contract suite: `MONGO_URI` when it is set (and then
 * the suite never skips: a bad URI fails it), else a mongod started by
 * mongodb-memory-server, else none, with the reason.
 *
 * @param env - the environment
 * @param timeoutMs - how long the probe may take, download included
 * @returns the source
 */
export function findMongo(env: NodeJS.ProcessEnv = process.env, timeoutMs = 180_000): MongoSource {
  if (env.MONGO_URI) return { kind: 'uri', uri: env.MONGO_URI };
  const probe = spawnSync(process.execPath, ['-e', PROBE], { cwd: __dirname, encoding: 'utf8', timeout: timeoutMs });
  if (probe.status === 0) return { kind: 'memory-server' };
  const detail =
    probe.error?.message ??
    (probe.signal
      ? `the probe was killed (${probe.signal}) after ${timeoutMs} ms`
      : probe.stdout.trim() || 'no detail');
  return {
    kind: 'none',
    reason: `MONGO_URI is not set and mongodb-memory-server could not start mongod: ${detail}`,
  };
}
