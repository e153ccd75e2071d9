import { NoRespondersError, RequestError, TimeoutError, errors } from '@nats-io/transport-node';
import { JetStreamApiError } from '@nats-io/jetstream';
import { DEFAULT_PUBLISH_RETRY, publishRetryDelay, transientPublishFailure } from '../publish-retry';

const apiError = (code: number, errCode: number) =>
  new JetStreamApiError({ code, err_code: errCode, description: `error ${errCode}` });

describe('transientPublishFailure', () => {
  it('reads "no responders", bare or as the cause of the client\'s "jetstream is not enabled", as not stored', () => {
    const noResponders = new RequestError('no responders', { cause: new NoRespondersError('s') });

    expect(transientPublishFailure(noResponders)).toBe('not-stored');
    expect(transientPublishFailure(new Error('jetstream is not enabled', { cause: noResponders }))).toBe('not-stored');
  });

  it("reads JetStream's 503 as not stored", () => {
    expect(transientPublishFailure(apiError(503, 10008))).toBe('not-stored');
  });

  it('reads a timeout as unknown: the stream may have stored the message', () => {
    expect(transientPublishFailure(new TimeoutError())).toBe('unknown');
  });

  it('leaves every other failure alone', () => {
    expect(transientPublishFailure(apiError(400, 10054))).toBeUndefined();
    expect(transientPublishFailure(new errors.ClosedConnectionError())).toBeUndefined();
    expect(transientPublishFailure(new RequestError('other'))).toBeUndefined();
    expect(transientPublishFailure('a string')).toBeUndefined();
  });
});

describe('publishRetryDelay', () => {
  it('doubles from the first delay up to the cap', () => {
    const policy = { attempts: 8, firstDelayMs: 100, maxDelayMs: 500, deadlineMs: 10_000 };

    expect([1, 2, 3, 4, 5].map((retry) => publishRetryDelay(policy, retry))).toEqual([100, 200, 400, 500, 500]);
  });

  it('by default waits 5.75 s in all over its five retries, within its 10 s deadline', () => {
    const waits = [1, 2, 3, 4, 5].map((retry) => publishRetryDelay(DEFAULT_PUBLISH_RETRY, retry));

    expect(DEFAULT_PUBLISH_RETRY.attempts).toBe(6);
    expect(waits.reduce((a, b) => a + b)).toBe(5_750);
  });
});
