import fs from 'node:fs';
import path from 'node:path';
import { Copy, DockerfileParser, From } from 'dockerfile-ast';
import { vulnerabilitiesOf } from './image-versions';
import { isPinned, parseImage } from './manifest';
import { REPO_ROOT, repoRelative } from './paths';
import { Findings, type Problem } from './rule-context';
import type { ServiceSpec } from './services';

/** One instruction, its continuation lines joined. */
export interface Instruction {
  keyword: string;
  /** Without the flags. */
  args: string;
  line: number;
  /** The stage a COPY --from takes its files from. */
  from?: string;
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
 * Reads a Dockerfile's stages with dockerfile-ast.
 *
 * @param text - the Dockerfile
 * @returns its stages, in order
 */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const i of DockerfileParser.parse(text).getInstructions()) {
    if (i instanceof From) {
      stages.push({ from: i.getImage() ?? '', name: i.getBuildStage() ?? undefined, instructions: [] });
      continue;
    }
    const args = i
      .getArguments()
      .map((a) => a.getValue())
      .join(' ');
    const from = i instanceof Copy ? (i.getFromFlag()?.getValue() ?? undefined) : undefined;
    stages.at(-1)?.instructions.push({ keyword: i.getKeyword(), args, line: i.getRange().start.line + 1, from });
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

const last = (stage: Stage | undefined, keyword: string): Instruction | undefined =>
  stage?.instructions.filter((i) => i.keyword === keyword).at(-1);

const readJson = <T>(root: string, file: string): T => JSON.parse(fs.readFileSync(path.join(root, file), 'utf8')) as T;

export interface DockerfileOptions {
  /** The repository: the build context. */
  root?: string;
  /** Also check that the build (`npm run test:image-build`) produced the file the image starts. */
  built?: boolean;
}

/**
 * Checks one service's Dockerfile against STYLE.md: multi-stage, pinned Node 22
 * Alpine, npm ci, the one build script, a runtime holding only the service's and
 * common's production dependencies, USER node and an exec-form `node` CMD; a
 * dev stage that runs the service's own dev script; and every file it copies in
 * the build context and not in .dockerignore.
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
  for (const { from } of stages) {
    if (!names.has(from) && (!NODE_BASE.test(from) || !isPinned(from))) {
      found.add(at, `FROM ${from}: the base must be node:22.x.y-alpine, pinned to a release`);
    }
  }
  // Once per base image, however many stages start from it.
  for (const from of new Set(stages.map((s) => s.from).filter((from) => !names.has(from)))) {
    const { repository, tag } = parseImage(from);
    for (const message of vulnerabilitiesOf(repository, tag)) found.add(at, `FROM ${from}: ${message}`);
  }
  const runsIn = (stage: Stage, pattern: RegExp) =>
    stage.instructions.some((i) => i.keyword === 'RUN' && pattern.test(i.args));
  if (!stages.some((s) => runsIn(s, /\bnpm ci\b/))) found.add(at, 'must install with npm ci, from the lockfile');
  if (!stages.some((s) => runsIn(s, new RegExp(`\\bSERVICE=${service.name} npm run ${BUILD_SCRIPT}\\b`)))) {
    found.add(at, `must build with \`SERVICE=${service.name} npm run ${BUILD_SCRIPT}\`, the script CI runs`);
  }
  // The runtime's node_modules: npm ci of the service's and common's production dependencies, nothing else.
  const install = `npm ci --omit=dev --workspace=${service.name} --workspace=common`;
  const own = new RegExp(
    `\\bnpm ci\\b(?=.*\\s--omit=dev\\b)(?=.*\\s--workspace=${service.name}\\b)(?=.*\\s--workspace=common\\b)`,
  );
  const deps = stages.find((s) => s.name && runsIn(s, own));
  const runtime = stages.at(-1);
  if (!deps) {
    found.add(at, `must install the runtime's dependencies with \`${install}\`: no dev dependency, no other service's`);
  } else if (!runtime?.instructions.some((i) => i.keyword === 'COPY' && i.from === deps.name)) {
    found.add(at, `the last stage must take its node_modules from the stage ${deps.name}, which runs ${install}`);
  }

  // The first WORKDIR holds package.json and the lockfile: the repository's root, in the image.
  const appRoot = stages[0]?.instructions.find((i) => i.keyword === 'WORKDIR')?.args ?? '/';
  checkRuntimeStage(runtime, service, { root, appRoot, at, built: options.built === true }, found);
  checkDevStage(
    stages.find((s) => s.name === 'dev'),
    service,
    { root, at },
    found,
  );
  checkCopies(stages, names, { root, at }, found);
  if (!readJson<{ scripts?: Record<string, string> }>(root, 'package.json').scripts?.[BUILD_SCRIPT]) {
    found.add('package.json', `has no ${BUILD_SCRIPT} script, which the Dockerfiles and CI run`);
  }
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
  const argv = execForm(last(stage, 'CMD')?.args ?? '');
  if (!argv || argv[0] !== 'node' || argv.length < 2) {
    // npm doesn't pass SIGTERM on, and a shell form runs under /bin/sh, which doesn't either.
    found.add(
      at,
      'the last stage must start the service with an exec-form CMD ["node", "dist/…"], never npm or a shell',
    );
    return;
  }
  if (!built) return;
  const workdir = stage.instructions
    .filter((i) => i.keyword === 'WORKDIR')
    .reduce((dir, i) => path.posix.resolve(dir, i.args), '/');
  const script = path.posix.resolve(workdir, argv[1]);
  const onDisk = path.join(root, path.posix.relative(appRoot, script));
  if (!fs.existsSync(onDisk)) {
    found.add(
      at,
      `CMD starts ${script}, but the build did not produce ${repoRelative(onDisk, root)} (${service.name}/src/index.ts?)`,
    );
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
  const pkg = readJson<{ scripts?: Record<string, string> }>(root, path.join(service.name, 'package.json'));
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
  for (const copy of stages.flatMap((s) => s.instructions)) {
    if ((copy.keyword !== 'COPY' && copy.keyword !== 'ADD') || copy.from !== undefined) continue;
    for (const source of copy.args.split(' ').slice(0, -1)) {
      if (stageNames.has(source)) continue;
      if (!fs.existsSync(path.join(root, source)))
        found.add(at, `line ${copy.line}: COPY ${source}: not in the build context (the repository root)`);
      else if (ignored?.(source)) found.add(at, `line ${copy.line}: COPY ${source}: excluded by .dockerignore`);
    }
  }
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
