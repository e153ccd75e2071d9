/**
 * The test kit of `@grider-ms-tickets/common`: an in-memory event bus and
 * messages with ack spies, for services' unit tests.
 *
 * @packageDocumentation
 */
export { FakeEventBus, type DeliveryTarget, type PublishedEvent } from './fake-event-bus';
export { FakeMessage, type FakeMessageOptions } from './fake-message';
export { createSpy, type Spy } from './spy';
export { waitFor, sleep, freePort, acceptsConnections, type WaitForOptions, type Truthy } from './wait-for';
export { captureLogs, type LogLine } from './capture-logs';
export { fakeDateOnly, type FakeTimersApi } from './fake-date';
