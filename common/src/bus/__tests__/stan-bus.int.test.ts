/**
 * The NATS Streaming transport against the real NATS server of this machine,
 * which has no NATS Streaming: the one thing it can show is how a connection
 * attempt fails. Everything else runs against a fake client in stan-bus.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { StanBus } from '../stan-bus';
import { NatsWrapper } from '../nats-wrapper';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

describe('StanBus.connect against a NATS server without NATS Streaming', () => {
  it('rejects with the connect timeout of node-nats-streaming instead of hanging', async () => {
    const clientId = `it-${randomUUID().slice(0, 8)}`;

    const attempt = StanBus.connect({ url: NATS_URL, clusterId: 'no-such-cluster', clientId });

    await expect(attempt).rejects.toThrow('stan: connect request timeout');
  });

  it('leaves NatsWrapper unconnected when called with the course signature', async () => {
    const wrapper = new NatsWrapper();

    await expect(wrapper.connect('no-such-cluster', `it-${randomUUID().slice(0, 8)}`, NATS_URL)).rejects.toThrow(
      'stan: connect request timeout',
    );
    expect(wrapper.isConnected()).toBe(false);
    expect(() => wrapper.client).toThrow('before connecting');
  });
});
