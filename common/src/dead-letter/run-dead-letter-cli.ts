import { parseArgs } from 'node:util';
import { z } from 'zod';
import { listDeadLetters, replayDeadLetter } from './dead-letters';
import type { StoredDeadLetter } from './stored-dead-letter';
import type { EventBus } from '../bus/event-bus';
import { JetStreamBus } from '../bus/jetstream-bus';
import { connectEventBus } from '../bus/nats-wrapper';
import { ConfigError } from '../config/config-error';
import { loadConfig } from '../config/env';
import {
  eventBusConfig,
  eventBusEnvShape,
  natsServersOf,
  withEventBusRules,
  type EventBusConfig,
} from '../config/event-bus-config';
import { createLogger } from '../logging/logger';

export const DEAD_LETTER_CLI_USAGE = `usage: dead-letters list [--limit N] [--json]
       dead-letters replay <seq>

  list           the dead letters on the bus, oldest first (default limit 100)
  replay <seq>   publish the event of dead letter <seq> again on its subject;
                 on JetStream the dead letter is then deleted, NATS Streaming keeps it

Reads the event bus variables of the services: EVENT_BUS, NATS_URL, NATS_STREAM,
NATS_SUBJECT_PREFIX, NATS_CLUSTER_ID and NATS_CLIENT_ID.`;

/** Where the CLI writes, and what it reads. */
export interface DeadLetterCliIo {
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** How many characters of a payload `list` shows; `--json` shows it whole. */
const PAYLOAD_PREVIEW_CHARS = 200;

/**
 * The `dead-letters` command: `list` and `replay <seq>`.
 *
 * @param args - the arguments after the command name
 * @param io - the environment and the output
 * @returns the exit code: 0 done, 1 failed, 2 bad usage
 */
export async function runDeadLetterCli(args: readonly string[], io: DeadLetterCliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { limit: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n${DEAD_LETTER_CLI_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, seqText, ...extra] = positionals;
  if (values.help) {
    io.out(DEAD_LETTER_CLI_USAGE);
    return 0;
  }
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  const seq = Number(seqText);
  const usable =
    extra.length === 0 &&
    ((command === 'list' && seqText === undefined && Number.isInteger(limit) && limit >= 1) ||
      (command === 'replay' && Number.isInteger(seq) && seq >= 1));
  if (!usable) {
    io.err(DEAD_LETTER_CLI_USAGE);
    return 2;
  }

  let config: EventBusConfig;
  try {
    config = cliConfig(io.env);
  } catch (err) {
    io.err(err instanceof ConfigError ? err.message : String(err));
    return 1;
  }
  let bus: EventBus | undefined;
  try {
    const logger = createLogger({
      name: 'dead-letters',
      level: 'warn',
      destination: { write: (l) => io.err(l.trimEnd()) },
    });
    // The tool reads what the services set up: it never creates or changes a stream.
    bus =
      config.kind === 'jetstream'
        ? await JetStreamBus.connect({ ...config, url: natsServersOf(config), logger, setUpStream: false })
        : await connectEventBus(config, logger);
    if (command === 'list') {
      const letters = await listDeadLetters(bus, { limit });
      for (const stored of letters) io.out(values.json ? JSON.stringify(stored) : describe(stored));
      if (!values.json) {
        const more = letters.length === limit ? ` (the limit; see more with --limit ${limit * 10})` : '';
        io.out(`${letters.length} dead letter${letters.length === 1 ? '' : 's'}${more}`);
      }
    } else {
      const replayed = await replayDeadLetter(bus, seq);
      const { letter } = replayed;
      const as = replayed.publishedSeq === undefined ? '' : ` as sequence ${replayed.publishedSeq}`;
      io.out(
        `replayed dead letter ${seq}: ${letter.subject} (sequence ${letter.sequence}) published again${as}; ` +
          (replayed.deleted
            ? 'the dead letter was deleted'
            : 'NATS Streaming keeps the dead letter, so replaying it again publishes the event again'),
      );
    }
    return 0;
  } catch (err) {
    io.err(`dead-letters ${command}: ${(err as Error).message}`);
    return 1;
  } finally {
    await bus?.close().catch(() => undefined);
  }
}

/**
 * The services' bus settings, with a client id of the tool's own: NATS
 * Streaming refuses a second client with the id a running service holds.
 */
function cliConfig(env: NodeJS.ProcessEnv): EventBusConfig {
  const config = eventBusConfig(loadConfig(withEventBusRules(z.object(eventBusEnvShape)), env), 'dead-letters');
  if (config.kind === 'stan') return { ...config, clientId: `${config.clientId}-dead-letters-${process.pid}` };
  return config;
}

/** One dead letter as two lines for people. */
function describe(stored: StoredDeadLetter): string {
  const at = stored.storedAt.toISOString();
  if ('unreadable' in stored) return `#${stored.seq}  ${at}  not a dead letter: ${stored.unreadable}`;
  const { letter } = stored;
  const payload =
    letter.payloadEncoding === 'base64' ? `(base64) ${letter.payload}` : letter.payload.replace(/\s+/g, ' ');
  const preview = payload.length > PAYLOAD_PREVIEW_CHARS ? `${payload.slice(0, PAYLOAD_PREVIEW_CHARS)}…` : payload;
  const cut = letter.truncated ? ` (first part of ${letter.payloadBytes} bytes; can't be replayed)` : '';
  return (
    `#${stored.seq}  ${letter.failedAt}  ${letter.subject} sequence ${letter.sequence}, ` +
    `${letter.service} (${letter.queueGroup}), ${letter.deliveries} deliveries: ${letter.reason}\n` +
    `    ${preview}${cut}`
  );
}
