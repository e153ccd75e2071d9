/** The queue group (and JetStream durable prefix) of every listener of this service. */
export const queueGroupName = 'expiration-service';
