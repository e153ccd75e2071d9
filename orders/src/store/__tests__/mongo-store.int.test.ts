import { MongoMemoryServer } from 'mongodb-memory-server';
import { MongoOrdersStore } from '../mongo/mongo-store';
import { newObjectId } from '../object-id';
import { findMongo } from './helpers/find-mongo';
import { describeStoreContract } from './store.contract';

const mongo = findMongo();
// Written straight to stderr: jest drops what a fully skipped file logs through console.
if (mongo.kind === 'none') process.stderr.write(`mongo contract suite skipped: ${mongo.reason}\n`);

// Skipped only when no MongoDB can be had at all, and then the line above says
// why. With MONGO_URI set, or where mongodb-memory-server can start mongod, it runs.
const describeMongo = mongo.kind === 'none' ? describe.skip : describe;

describeMongo('mongo store', () => {
  let server: MongoMemoryServer | undefined;
  let store: MongoOrdersStore;

  beforeAll(async () => {
    let uri: string;
    if (mongo.kind === 'uri') {
      uri = mongo.uri;
    } else {
      server = await MongoMemoryServer.create();
      uri = server.getUri();
    }
    // A database of its own, so a shared MONGO_URI never sees another run's data.
    store = await MongoOrdersStore.connect(uri, {
      dbName: `orders-contract-${newObjectId()}`,
      serverSelectionTimeoutMS: 10_000,
    });
  }, 120_000);

  afterAll(async () => {
    await store?.connection.dropDatabase();
    await store?.close();
    await server?.stop();
  });

  describeStoreContract(() => store);
});
