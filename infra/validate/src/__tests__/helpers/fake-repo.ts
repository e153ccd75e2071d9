import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../paths';

/**
 * A copy of the repository in a temporary folder, made of symlinks to the real
 * files except the ones a test replaces, so that a test can break a
 * Dockerfile, .dockerignore or skaffold.yaml without touching the real ones.
 *
 * @param replace - files to write instead, by path in the repository; null deletes one
 * @returns the fake repository's root; remove it with {@link removeFakeRepo}
 */
export function fakeRepo(replace: Record<string, string | null>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'infra-validate-'));
  const replaced = Object.keys(replace);
  const link = (relative: string): void => {
    const real = path.join(REPO_ROOT, relative);
    const fake = path.join(root, relative);
    // A folder holding a replaced file is made of links too; anything else is one link.
    if (replaced.some((r) => r.startsWith(`${relative}/`) || relative === '')) {
      fs.mkdirSync(fake, { recursive: true });
      if (!fs.existsSync(real)) return;
      for (const entry of fs.readdirSync(real)) {
        if (entry === '.git' || entry === 'node_modules') continue;
        link(relative ? `${relative}/${entry}` : entry);
      }
    } else if (!(relative in replace)) {
      fs.symlinkSync(real, fake);
    }
  };
  link('');
  for (const [relative, content] of Object.entries(replace)) {
    if (content === null) continue;
    fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    fs.writeFileSync(path.join(root, relative), content);
  }
  return root;
}

/** @param root - a root made by {@link fakeRepo} */
export function removeFakeRepo(root: string): void {
  fs.rmSync(root, { recursive: true, force: true });
}

/**
 * @param relative - a file of the repository
 * @returns its text
 */
export function readRepoFile(relative: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, relative), 'utf8');
}
