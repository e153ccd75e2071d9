import { randomBytes } from 'node:crypto';

/**
 * A password as infra/README.md tells operators to make them
 * (`p$(openssl rand -hex 24)`): it starts with a letter, because nats-server
 * parses a variable's value as a config value, and it is URL-safe, because
 * MONGO_URI carries it.
 *
 * @returns a new password
 */
export function newPassword(): string {
  return `p${randomBytes(24).toString('hex')}`;
}
