import { request } from 'node:http';

/** An order as the orders service shows it (`orders/src/routes/order-view.ts`). */
export interface OrderView {
  id: string;
  userId: string;
  status: string;
  expiresAt: string;
  version: number;
  ticket: { id: string; title: string; price: number; version: number };
}

/** An HTTP answer. */
interface Answer {
  status: number;
  body: string;
}

/**
 * The orders service's HTTP API, as one signed-in user uses it. Requests go
 * without keep-alive, so that no socket outlives a scenario (jest would wait
 * for it).
 */
export class OrdersApi {
  /**
   * @param port - the service's PORT
   * @param cookie - the user's `session=…` cookie (see orders/src/test/session-cookie.ts)
   */
  constructor(
    readonly port: number,
    private readonly cookie: string,
  ) {}

  /**
   * `POST /api/orders`: reserves a ticket.
   *
   * @param ticketId - the ticket
   * @returns the order, or undefined while the ticket is unknown here (404: its ticket:created has not been handled)
   * @throws Error for any other answer
   */
  async createOrder(ticketId: string): Promise<OrderView | undefined> {
    const answer = await this.send('POST', '/api/orders', { ticketId });
    if (answer.status === 404) return undefined;
    return expectJson<OrderView>(answer, 201, `POST /api/orders for ticket ${ticketId}`);
  }

  /** `GET /api/orders`: the user's orders, oldest first. */
  async listOrders(): Promise<OrderView[]> {
    return expectJson<OrderView[]>(await this.send('GET', '/api/orders'), 200, 'GET /api/orders');
  }

  /** `GET /api/orders/:id`. */
  async getOrder(orderId: string): Promise<OrderView> {
    return expectJson<OrderView>(await this.send('GET', `/api/orders/${orderId}`), 200, `GET /api/orders/${orderId}`);
  }

  /**
   * Reads one series of `GET /metrics`.
   *
   * @param series - the metric name with its labels as the service writes them, such as
   *   `orders_transitions_total{transition="cancelled_by_sweep"}`
   * @returns its value
   * @throws Error when the series is missing
   */
  async metric(series: string): Promise<number> {
    const answer = await this.send('GET', '/metrics');
    if (answer.status !== 200) throw new Error(`GET /metrics answered ${answer.status}`);
    const line = answer.body.split('\n').find((l) => l.startsWith(`${series} `));
    if (!line) throw new Error(`GET /metrics has no series ${series}`);
    return Number(line.slice(series.length + 1));
  }

  private send(method: string, urlPath: string, body?: unknown): Promise<Answer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path: urlPath,
          agent: false,
          // A POST waits for its order:created to be acknowledged, which takes a
          // while when NATS is down (the publish times out and the event is owed).
          timeout: 30_000,
          headers: {
            cookie: this.cookie,
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

function expectJson<T>(answer: Answer, status: number, what: string): T {
  if (answer.status !== status) throw new Error(`${what} answered ${answer.status}: ${answer.body}`);
  return JSON.parse(answer.body) as T;
}
