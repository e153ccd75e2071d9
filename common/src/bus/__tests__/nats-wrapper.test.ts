import nats from 'node-nats-streaming';
import { FakeStan } from '../../__tests__/helpers/fake-stan';
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

  it('connects NATS Streaming through every server of the config', async () => {
    const stan = new FakeStan();
    const connect = jest.spyOn(nats, 'connect').mockImplementation(() => {
      setImmediate(() => stan.emit('connect'));
      return stan.asStan();
    });
    const wrapper = new NatsWrapper();

    try {
      await wrapper.connect({
        kind: 'stan',
        url: 'nats://nats-0:4222',
        servers: ['nats://nats-0:4222', 'nats://nats-1:4222'],
        clusterId: 'ticketing',
        clientId: 'pod-1',
      });

      expect(connect).toHaveBeenCalledWith('ticketing', 'pod-1', {
        url: 'nats://nats-0:4222',
        servers: ['nats://nats-1:4222'],
      });
    } finally {
      connect.mockRestore();
    }
  });
});
