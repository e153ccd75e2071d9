import { waitFor } from '@grider-ms-tickets/common/testing';
import { chooseOrdersStore, type EmbeddedMongo } from '../store';

/** A stand-in for mongodb-memory-server: a server that starts after `delayMs`, or fails with `error`. */
function fakeMongo(behaviour: { delayMs?: number; error?: string }) {
  const server = { getUri: () => 'mongodb://127.0.0.1:45678/', stop: jest.fn(async () => true) };
  const create = jest.fn(async (): Promise<EmbeddedMongo> => {
    await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs ?? 0));
    if (behaviour.error) throw new Error(behaviour.error);
    return server;
  });
  return { create, server };
}

describe('chooseOrdersStore', () => {
  it('when MONGO_URI is set, uses it and starts nothing', async () => {
    const mongo = fakeMongo({});

    const store = await chooseOrdersStore({
      mongoUri: 'mongodb://db:27017/orders',
      timeoutMs: 1_000,
      create: mongo.create,
    });

    expect(store).toMatchObject({ kind: 'mongo', uri: 'mongodb://db:27017/orders', source: 'MONGO_URI' });
    expect(mongo.create).not.toHaveBeenCalled();
  });

  it('when ORDERS_STORE=memory, uses the memory store without trying MongoDB', async () => {
    const mongo = fakeMongo({});

    const store = await chooseOrdersStore({ forceMemory: true, timeoutMs: 1_000, create: mongo.create });

    expect(store).toMatchObject({ kind: 'memory', reason: 'ORDERS_STORE=memory' });
    expect(mongo.create).not.toHaveBeenCalled();
  });

  it('when the embedded MongoDB starts, uses its URI, and stop() stops it', async () => {
    const mongo = fakeMongo({});

    const store = await chooseOrdersStore({ timeoutMs: 10_000, create: mongo.create });
    await store.stop();

    expect(store).toMatchObject({ kind: 'mongo', uri: 'mongodb://127.0.0.1:45678/', source: 'embedded' });
    expect(mongo.server.stop).toHaveBeenCalledTimes(1);
  });

  it('when the embedded MongoDB fails, falls back to memory and says why', async () => {
    const mongo = fakeMongo({ error: 'Download failed:\n  getaddrinfo ENOTFOUND fastdl.mongodb.org' });

    const store = await chooseOrdersStore({ timeoutMs: 10_000, create: mongo.create });

    expect(store).toMatchObject({
      kind: 'memory',
      reason: 'the embedded MongoDB did not start: Download failed: getaddrinfo ENOTFOUND fastdl.mongodb.org',
    });
  });

  it('when the embedded MongoDB does not answer in time, falls back to memory and stops it once it is up', async () => {
    const mongo = fakeMongo({ delayMs: 2_500 });

    const store = await chooseOrdersStore({ timeoutMs: 1_500, create: mongo.create });

    expect(store).toMatchObject({ kind: 'memory', reason: 'the embedded MongoDB did not start: no answer within 2 s' });
    await waitFor(() => mongo.server.stop.mock.calls.length === 1, 'the late MongoDB to be stopped');
  });
});
