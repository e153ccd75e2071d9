/**
 * Runs an embedded MongoDB (mongodb-memory-server) for `npm run dev` and
 * `npm run demo`, in a process of its own, so that a download that hangs or a
 * mongod that won't start can be dropped by killing one process group, with no
 * handle left behind in the launcher.
 *
 * Protocol, one line on stdout: `READY <uri>` or `FAILED <reason>`. It stops
 * MongoDB and exits on SIGTERM, on SIGINT, or when stdin closes (the launcher
 * is gone).
 */
import type { MongoMemoryServer } from 'mongodb-memory-server';

let server: MongoMemoryServer | undefined;
let stopping = false;

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await server?.stop();
  } finally {
    process.exit(0);
  }
}

async function main(): Promise<void> {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void stop());
  process.stdin.on('close', () => void stop()).resume();
  const mms = await import('mongodb-memory-server').catch(() => {
    throw new Error('mongodb-memory-server is not installed (a devDependency of orders: run npm ci)');
  });
  server = await mms.MongoMemoryServer.create();
  process.stdout.write(`READY ${server.getUri()}\n`);
}

main().catch((err: unknown) => {
  // mongodb-memory-server's messages run over several lines; the protocol is one.
  const message = err instanceof Error ? err.message : String(err);
  process.stdout.write(`FAILED ${message.replace(/\s+/g, ' ').trim().slice(0, 300)}\n`);
  process.exit(1);
});
