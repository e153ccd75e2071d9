/** The queue group (and JetStream durable prefix) of every listener of the orders service. */
export const queueGroupName = 'orders-service';
