import { NatsWrapper } from '../nats-wrapper';

describe('NatsWrapper', () => {
  it('throws when the client is used before connect', () => {
    const wrapper = new NatsWrapper();

    expect(() => wrapper.client).toThrow('Cannot access the NATS client before connecting');
  });

  it('is not connected, and closes quietly, before connect', async () => {
    const wrapper = new NatsWrapper();

    expect(wrapper.isConnected()).toBe(false);
    await expect(wrapper.close()).resolves.toBeUndefined();
  });

  it('fails to connect to a JetStream server that does not answer, and stays unconnected', async () => {
    const wrapper = new NatsWrapper();

    // Port 1 is never a NATS server; the client gives up after its first attempt.
    const attempt = wrapper.connect({ kind: 'jetstream', url: 'nats://127.0.0.1:1', stream: 'unused' });

    await expect(attempt).rejects.toThrow();
    expect(() => wrapper.client).toThrow();
  });
});
