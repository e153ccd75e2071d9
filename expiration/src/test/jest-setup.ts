// Tests and hooks talk to real Redis and NATS on a shared 2-core machine.
jest.setTimeout(30_000);
