import { nanos } from '@nats-io/transport-node';
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { StreamSubjectsOverlapError } from './stream-subjects-overlap-error';

/** JetStream's error code for "subjects overlap with an existing stream". */
const STREAM_SUBJECT_OVERLAP = 10065;

/** A stream, and what it is reached and logged with. */
export interface StreamHandle {
  name: string;
  jsm: JetStreamManager;
  logger: Logger;
}

/** What a service wants of its stream. */
export interface WantedStream {
  /** The subjects on the wire that it must capture. */
  subjects: string[];
  maxAgeMs: number;
  maxBytes: number;
  replicas: number;
}

/**
 * @param err - what a JetStream API call threw
 * @param code - a JetStream API error code
 * @returns whether the server answered with that code
 */
export function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

/**
 * Checks that the stream exists, for a service that must not create it.
 *
 * @param stream - the stream
 * @throws Error naming the stream (and NATS_STREAM) when it does not exist
 */
export async function requireStream(stream: StreamHandle): Promise<void> {
  try {
    await stream.jsm.streams.info(stream.name);
  } catch (err) {
    if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
    throw new Error(`JetStream stream ${stream.name} does not exist (is NATS_STREAM right?)`, { cause: err });
  }
}

/**
 * Creates the stream, file-backed and discarding its oldest messages at its
 * limits, or adds to an existing one what it lacks (see {@link streamUpdate}).
 *
 * @param stream - the stream
 * @param wanted - its subjects, limits and replicas
 * @throws StreamSubjectsOverlapError when another stream captures any of the subjects
 */
export async function ensureStream(stream: StreamHandle, wanted: WantedStream): Promise<void> {
  const { jsm, logger, name } = stream;
  try {
    let info;
    try {
      info = await jsm.streams.info(name);
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
      await jsm.streams.add({
        name,
        subjects: wanted.subjects,
        storage: StorageType.File,
        max_age: nanos(wanted.maxAgeMs),
        max_bytes: wanted.maxBytes,
        discard: DiscardPolicy.Old,
        num_replicas: wanted.replicas,
      });
      logger.info({ stream: name, ...wanted }, 'created the stream');
      return;
    }
    const update = streamUpdate(stream, info.config, wanted);
    if (update) {
      await jsm.streams.update(name, { ...info.config, ...update });
      logger.info({ stream: name, ...update }, 'updated the stream');
    }
  } catch (err) {
    if (isApiError(err, STREAM_SUBJECT_OVERLAP)) {
      throw new StreamSubjectsOverlapError(name, await streamsHolding(stream, wanted.subjects), { cause: err });
    }
    throw err;
  }
}

/**
 * What an existing stream lacks: subjects, limits it has none of (0 or -1),
 * and replicas up to the wanted number. Limits it has are its owner's
 * choice and stay. More replicas than wanted stay too: lowering the count
 * drops copies of every message, which is for an operator to do
 * (`nats stream edit <name> --replicas N`), not a service starting up with a
 * stale setting; that is logged.
 */
function streamUpdate(
  stream: StreamHandle,
  config: StreamConfig,
  wanted: WantedStream,
): Partial<StreamConfig> | undefined {
  const update: Partial<StreamConfig> = {};
  const missing = wanted.subjects.filter((s) => !config.subjects.includes(s));
  if (missing.length > 0) update.subjects = [...config.subjects, ...missing];
  if (!(config.max_age > 0)) update.max_age = nanos(wanted.maxAgeMs);
  if (!(config.max_bytes > 0)) update.max_bytes = wanted.maxBytes;
  const replicas = config.num_replicas || 1;
  if (replicas < wanted.replicas) update.num_replicas = wanted.replicas;
  if (replicas > wanted.replicas) {
    stream.logger.warn(
      { stream: stream.name, replicas, wanted: wanted.replicas },
      'the stream has more replicas than NATS_STREAM_REPLICAS; it keeps them (lower them with nats stream edit)',
    );
  }
  return Object.keys(update).length > 0 ? update : undefined;
}

/** The other streams that capture any of `subjects`. */
async function streamsHolding(stream: StreamHandle, subjects: string[]): Promise<string[]> {
  const holders = new Set<string>();
  for (const subject of subjects) {
    try {
      for await (const name of stream.jsm.streams.names(subject)) if (name !== stream.name) holders.add(name);
    } catch (err) {
      stream.logger.warn({ err, subject }, 'could not list the streams that capture a subject');
    }
  }
  return [...holders].sort();
}
