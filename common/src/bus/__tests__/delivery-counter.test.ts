import { DeliveryCounter } from '../delivery-counter';

describe('DeliveryCounter', () => {
  it('counts a first delivery as 1 and each further one up by one', () => {
    const counter = new DeliveryCounter();

    const counts = [counter.record('a#1', false), counter.record('a#1', true), counter.record('a#1', true)];

    expect(counts).toEqual([1, 2, 3]);
  });

  it('counts a redelivered message it never saw as its second delivery', () => {
    const counter = new DeliveryCounter();

    expect(counter.record('a#9', true)).toBe(2);
  });

  it('counts each message on its own', () => {
    const counter = new DeliveryCounter();
    counter.record('a#1', false);

    expect(counter.record('a#2', false)).toBe(1);
    expect(counter.record('a#1', true)).toBe(2);
  });

  it('starts over for a message once it is forgotten', () => {
    const counter = new DeliveryCounter();
    counter.record('a#1', false);
    counter.record('a#1', true);

    counter.forget('a#1');

    expect(counter.size).toBe(0);
    expect(counter.record('a#1', false)).toBe(1);
  });

  it('forgets the least recently seen message beyond its capacity', () => {
    const counter = new DeliveryCounter(2);
    counter.record('a#1', false);
    counter.record('a#2', false);
    counter.record('a#1', true); // a#1 is now the most recent

    counter.record('a#3', false);

    expect(counter.size).toBe(2);
    expect(counter.record('a#1', true)).toBe(3); // still remembered
    expect(counter.record('a#2', false)).toBe(1); // was dropped
  });
});
