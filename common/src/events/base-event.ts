import type { Subjects } from './subjects';

/** The shape every event type has: a subject and the payload sent with it. */
export interface Event {
  subject: Subjects;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each event narrows it
  data: any;
}
