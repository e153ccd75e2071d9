import path from 'node:path';

/** The repository's root folder. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** The services this folder runs, each a workspace at the repository root. */
export type ServiceName = 'expiration' | 'orders';

/**
 * @param service - a workspace
 * @returns its folder
 */
export function serviceDir(service: ServiceName): string {
  return path.join(REPO_ROOT, service);
}

/** tsx's command line, run with the current node rather than through npm or a shell. */
export const TSX_CLI = require.resolve('tsx/cli');

/** tsx's loader, for `node --import` (one process, no watcher). */
export const TSX_LOADER = require.resolve('tsx');
