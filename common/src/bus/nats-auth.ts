import { readFileSync } from 'node:fs';
import { credsAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import type { StanOptions } from 'node-nats-streaming';
import type { NatsAuth } from '../config/event-bus-config';

/**
 * The reply subjects of a JetStream client that connects as `user`: its
 * requests' answers and the messages its pulls fetch arrive there. Giving each
 * user its own prefix lets the server confine a user to its own replies
 * (subscribe `_INBOX.<user>.>`), so one service can't read what is fetched for
 * another.
 *
 * @param user - a NATS user name, one subject token
 * @returns the inbox prefix
 */
export function inboxPrefixOf(user: string): string {
  return `_INBOX.${user}`;
}

/**
 * The connection options of the NATS client (nats.js) for some credentials.
 * A credentials file is read again on every (re)connect, so a rotated file is
 * picked up without a restart.
 *
 * @param auth - the credentials, or none
 * @returns the options to merge into `connect()`'s
 */
export function jetStreamAuthOptions(auth: NatsAuth | undefined): Partial<ConnectionOptions> {
  if (!auth) return {};
  if ('credsFile' in auth) return { authenticator: credsAuthenticator(() => readFileSync(auth.credsFile)) };
  return { user: auth.user, pass: auth.password, inboxPrefix: inboxPrefixOf(auth.user) };
}

/**
 * The connection options of node-nats-streaming for some credentials. Its NATS
 * client (nats 1.x) has no inbox prefix: its replies stay on `_INBOX.>`.
 *
 * @param auth - the credentials, or none
 * @returns the options to merge into `connect()`'s
 */
export function stanAuthOptions(auth: NatsAuth | undefined): Pick<StanOptions, 'user' | 'pass' | 'userCreds'> {
  if (!auth) return {};
  if ('credsFile' in auth) return { userCreds: auth.credsFile };
  return { user: auth.user, pass: auth.password };
}
