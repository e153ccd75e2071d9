import type { ServiceName } from './paths';

/** A service did not become ready. It carries the service's last lines. */
export class SystemStartError extends Error {
  readonly isOperational = true;

  constructor(
    message: string,
    readonly service: ServiceName,
    readonly lastLines: readonly string[],
  ) {
    super(message);
    this.name = 'SystemStartError';
  }
}
