import fs from 'node:fs';
import path from 'node:path';
import { isPinned } from './pod-rules';
import type { Problem } from './problem';
import { REPO_ROOT, repoRelative } from './paths';
import { Findings } from './rule-context';
import type { ServiceSpec } from './services';

/** One instruction, its continuation lines joined. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** A FROM and what follows it. */
export interface Stage {
  name?: string;
  from: string;
  instructions: Instruction[];
}

/** The base image of every stage: Node 22 LTS on Alpine, pinned to a release. */
const NODE_BASE = /^node:22\.\d+\.\d+-alpine(\d+\.\d+)?$/;

/** The root package.json's script that builds common and then one service, in the images and in CI. */
export const BUILD_SCRIPT = 'build:service';

/**
 * Reads a Dockerfile's instructions: enough of the syntax for ours (comments,
 * backslash continuations), not heredocs.
 *
 * @param text - the Dockerfile
 * @returns its stages, in order
 */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = lines[i].trim();
      line = line.slice(0, -1) + (next.startsWith('#') ? '' : ` ${next}`);
    }
    const [keyword, ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' '), line: start + 1 };
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      stages.push({ from: match?.[1] ?? instruction.args, name: match?.[2], instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/**
 * @param args - the arguments of CMD or ENTRYPOINT
 * @returns its exec form, or undefined when it is in shell form
 */
export function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const last = (stage: Stage, keyword: string): Instruction | undefined =>
  stage.instructions.filter((i) => i.keyword === keyword).at(-1);

/**
 * @param stage - a stage
 * @param inherited - the WORKDIR it starts in
 * @returns its last WORKDIR
 */
function workdirOf(stage: Stage, inherited: string): string {
  return stage.instructions
    .filter((i) => i.keyword === 'WORKDIR')
    .reduce((dir, i) => path.posix.resolve(dir, i.args), inherited);
}

export interface DockerfileOptions {
  /** The repository: the build context. */
  root?: string;
  /** Also check that the build (`npm run test:image-build`) produced the file the image starts. */
  built?: boolean;
}

/**
 * Checks one service's Dockerfile against STYLE.md: multi-stage, pinned Node 22
 * Alpine, npm ci, the one build script, dev dependencies pruned, USER node and
 * an exec-form `node` CMD; a dev stage that runs the service's own dev script;
 * and every file it copies in the build context and not in .dockerignore.
 *
 * @param service - the service
 * @param options - where the repository is
 * @returns the problems
 */
export function checkDockerfile(service: ServiceSpec, options: DockerfileOptions = {}): Problem[] {
  const root = options.root ?? REPO_ROOT;
  const file = path.join(root, service.dockerfile);
  const found = new Findings('dockerfile');
  const at = repoRelative(file, root);
  if (!fs.existsSync(file)) {
    found.add(at, 'is missing');
    return found.problems;
  }
  const stages = parseDockerfile(fs.readFileSync(file, 'utf8'));
  const names = new Set(stages.map((s) => s.name).filter(Boolean));
  if (stages.length < 2) found.add(at, 'must be multi-stage: build with the dev dependencies, run without them');

  for (const stage of stages) {
    if (names.has(stage.from)) continue;
    if (!NODE_BASE.test(stage.from) || !isPinned(stage.from)) {
      found.add(at, `FROM ${stage.from}: the base must be node:22.x.y-alpine, pinned to a release`);
    }
  }
  const runs = stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args));
  if (!runs.some((r) => /\bnpm ci\b/.test(r))) found.add(at, 'must install with npm ci, from the lockfile');
  const build = new RegExp(`\\bSERVICE=${service.name} npm run ${BUILD_SCRIPT}\\b`);
  if (!runs.some((r) => build.test(r))) {
    found.add(at, `must build with \`SERVICE=${service.name} npm run ${BUILD_SCRIPT}\`, the script CI runs`);
  }
  if (!runs.some((r) => /\bnpm prune\b.*--omit=dev/.test(r)))
    found.add(at, 'must drop the dev dependencies (npm prune --omit=dev)');

  // The first WORKDIR holds package.json and the lockfile: the repository's root, in the image.
  const appRoot = stages[0]?.instructions.find((i) => i.keyword === 'WORKDIR')?.args ?? '/';
  checkRuntimeStage(stages.at(-1), service, { root, appRoot, at, built: options.built === true }, found);
  checkDevStage(
    stages.find((s) => s.name === 'dev'),
    service,
    { root, at },
    found,
  );
  checkCopies(stages, names, { root, at }, found);
  checkBuildScript(root, found);
  return found.problems;
}

function checkRuntimeStage(
  stage: Stage | undefined,
  service: ServiceSpec,
  { root, appRoot, at, built }: { root: string; appRoot: string; at: string; built: boolean },
  found: Findings,
): void {
  if (!stage) return;
  if (last(stage, 'USER')?.args !== 'node') found.add(at, 'the last stage must end with USER node');
  const cmd = last(stage, 'CMD');
  const argv = cmd && execForm(cmd.args);
  if (!argv || argv[0] !== 'node' || argv.length < 2) {
    // npm doesn't pass SIGTERM on, and a shell form runs under /bin/sh, which doesn't either.
    found.add(
      at,
      'the last stage must start the service with an exec-form CMD ["node", "dist/…"], never npm or a shell',
    );
    return;
  }
  if (built) {
    const script = path.posix.resolve(workdirOf(stage, '/'), argv[1]);
    const onDisk = path.join(root, path.posix.relative(appRoot, script));
    if (!fs.existsSync(onDisk)) {
      found.add(
        at,
        `CMD starts ${script}, but the build did not produce ${repoRelative(onDisk, root)} (${service.name}/src/index.ts?)`,
      );
    }
  }
}

function checkDevStage(
  stage: Stage | undefined,
  service: ServiceSpec,
  { root, at }: { root: string; at: string },
  found: Findings,
): void {
  if (!stage) {
    found.add(at, 'has no dev stage, which skaffold dev builds (target: dev)');
    return;
  }
  if (last(stage, 'USER')?.args !== 'node') found.add(at, 'the dev stage must end with USER node');
  const argv = execForm(last(stage, 'CMD')?.args ?? '');
  const pkg = JSON.parse(fs.readFileSync(path.join(root, service.name, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const dev = (pkg.scripts?.dev ?? '').split(/\s+/).filter(Boolean);
  // The dev script without npm: its program by path, then the same arguments.
  const same =
    argv !== undefined &&
    argv.length === dev.length &&
    path.posix.basename(argv[0]) === dev[0] &&
    argv.slice(1).join(' ') === dev.slice(1).join(' ');
  if (!same) {
    found.add(
      at,
      `the dev stage's CMD must run ${service.name}'s dev script (${dev.join(' ') || 'none'}) in exec form`,
    );
  }
}

function checkCopies(
  stages: readonly Stage[],
  stageNames: Set<string | undefined>,
  { root, at }: { root: string; at: string },
  found: Findings,
): void {
  const ignored = readDockerignore(root);
  if (!ignored) {
    found.add(at, '.dockerignore is missing: the host node_modules and dist would go into the build context');
  } else {
    for (const must of ['node_modules', 'dist']) {
      if (!ignored(`common/${must}/x`)) found.add('.dockerignore', `must exclude **/${must}`);
    }
  }
  for (const stage of stages) {
    for (const copy of stage.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
      const words = copy.args.split(/\s+/);
      if (words.some((w) => w.startsWith('--from='))) continue;
      const sources = words.filter((w) => !w.startsWith('--')).slice(0, -1);
      for (const source of sources) {
        if (stageNames.has(source)) continue;
        if (!fs.existsSync(path.join(root, source)))
          found.add(at, `line ${copy.line}: COPY ${source}: not in the build context (the repository root)`);
        else if (ignored?.(source)) found.add(at, `line ${copy.line}: COPY ${source}: excluded by .dockerignore`);
      }
    }
  }
}

function checkBuildScript(root: string, found: Findings): void {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  if (!pkg.scripts?.[BUILD_SCRIPT])
    found.add('package.json', `has no ${BUILD_SCRIPT} script, which the Dockerfiles and CI run`);
}

/**
 * @param root - the build context
 * @returns whether .dockerignore excludes a path, or undefined when there is no .dockerignore
 */
export function readDockerignore(root: string): ((file: string) => boolean) | undefined {
  const file = path.join(root, '.dockerignore');
  if (!fs.existsSync(file)) return undefined;
  const patterns = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => ({ exclude: !l.startsWith('!'), regex: globToRegExp(l.replace(/^!/, '').replace(/^\/+|\/+$/g, '')) }));
  return (target) => {
    const normalised = path.posix.normalize(target).replace(/^\.\/|\/+$/g, '');
    let excluded = false;
    // A pattern excludes a path or any folder above it; the last match wins.
    const prefixes = normalised.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    for (const p of patterns) {
      if (prefixes.some((prefix) => p.regex.test(prefix))) excluded = p.exclude;
    }
    return excluded;
  };
}

function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*' && glob[i + 1] === '*') {
      // `**/` is any number of folders, none included.
      out += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
