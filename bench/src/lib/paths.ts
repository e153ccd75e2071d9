import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The repository's root folder. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Where `npm run bench` writes its results. */
export const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');

/**
 * Node arguments that run a TypeScript entry from source with tsx's loader, in
 * one process. (The `tsx` CLI would run the script in a second process, and a
 * SIGKILL sent to the CLI would leave that one running.)
 *
 * @param entry - the .ts file, relative to the repository root
 */
export function tsxArgs(entry: string): string[] {
  return ['--import', pathToFileURL(require.resolve('tsx')).href, entry];
}
