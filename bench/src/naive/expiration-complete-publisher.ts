import { Publisher, Subjects, type ExpirationCompleteEvent } from '@grider-ms-tickets/common';

/** The course's publisher: no message id, so JetStream can't drop a repeated publish. */
export class ExpirationCompletePublisher extends Publisher<ExpirationCompleteEvent> {
  readonly subject = Subjects.ExpirationComplete;
}
