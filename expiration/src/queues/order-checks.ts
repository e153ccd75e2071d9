import type Redis from 'ioredis';

/** What the checks found for one order. */
export type OrderCheck =
  /** Neither cancelled nor scheduled: its job is to be stored. */
  | 'new'
  /** It has a job already (pending, done within the retention window, or failed). */
  | 'exists'
  /** It was cancelled within the retention window. */
  | 'cancelled';

/** What one order is checked against. */
export interface OrderCheckKeys {
  /** Its job's key, `<prefix>:order:expiration:order:<orderId>`. */
  jobKey: string;
  /** An earlier version's job key (the bare order id), when one can exist. */
  legacyJobKey?: string;
}

/** The codes the script answers with, in the order of {@link OrderCheck}. */
const CHECKS: readonly OrderCheck[] = ['new', 'exists', 'cancelled'];

/**
 * For each order i (ARGV[i]), a cancellation in the sorted set KEYS[1] wins,
 * then a job under either of its keys KEYS[2i] and KEYS[2i+1] (the same key
 * twice when there is no legacy one): 2 cancelled, 1 exists, 0 new.
 */
const CHECK_ORDERS_LUA = `
local answers = {}
for i = 1, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    answers[i] = 2
  elseif redis.call('EXISTS', KEYS[2 * i], KEYS[2 * i + 1]) > 0 then
    answers[i] = 1
  else
    answers[i] = 0
  end
end
return answers
`;

/** The name under which the script is defined on the connection. */
const COMMAND = 'expirationCheckOrders';

type CheckOrdersCommand = (numberOfKeys: number, ...keysAndArgs: string[]) => Promise<number[]>;

/**
 * The scheduler's checks of a batch of orders, in one command: is each
 * cancelled, does each have a job already. One Lua script instead of three
 * commands per order (a ZSCORE and two EXISTS) costs the client a tenth of
 * the CPU per order: building, writing and parsing 1,500 commands for 500
 * orders was most of the checks' cost. The script only reads, so a timed-out
 * call that Redis runs later changes nothing.
 *
 * The script is defined on the connection with ioredis's `defineCommand`,
 * which sends it in full the first time on each connection and by its SHA
 * after that, so it costs no extra round trip, even after Redis restarts.
 */
export class OrderChecks {
  private readonly command: CheckOrdersCommand;

  /**
   * @param client - the general Redis connection
   * @param cancelledKey - the sorted set of cancelled orders
   */
  constructor(
    client: Redis,
    private readonly cancelledKey: string,
  ) {
    client.defineCommand(COMMAND, { lua: CHECK_ORDERS_LUA });
    // defineCommand adds the method at run time; ioredis's typings only know
    // it through a module augmentation, which would be global.
    const defined = (client as unknown as Record<typeof COMMAND, CheckOrdersCommand>)[COMMAND];
    this.command = defined.bind(client);
  }

  /**
   * Checks orders in one round trip.
   *
   * @param orders - each order's id and keys
   * @returns what was found, one per order, in the same order
   * @throws the Redis error (a timeout, a lost connection)
   */
  async check(orders: ReadonlyArray<{ orderId: string } & OrderCheckKeys>): Promise<OrderCheck[]> {
    const keys = [this.cancelledKey];
    for (const { jobKey, legacyJobKey } of orders) keys.push(jobKey, legacyJobKey ?? jobKey);
    const answers = await this.command(keys.length, ...keys, ...orders.map((o) => o.orderId));
    if (!Array.isArray(answers) || answers.length !== orders.length) {
      throw new Error(`the order checks answered ${String(answers)} for ${orders.length} orders`);
    }
    return answers.map((code) => {
      const check = CHECKS[code];
      if (check === undefined) throw new Error(`the order checks answered an unknown code ${String(code)}`);
      return check;
    });
  }
}
