import { checkDockerfile, parseDockerfile, readDockerignore } from '../dockerfile';
import { REPO_ROOT } from '../paths';
import { SERVICES } from '../services';
import { fakeRepo, readRepoFile, removeFakeRepo } from './helpers/fake-repo';

const [expiration] = SERVICES;
const dockerfile = readRepoFile('expiration/Dockerfile');

/** checkDockerfile on a copy of the repository with some files replaced. */
function checkWith(replace: Record<string, string | null>, built = false): string[] {
  const root = fakeRepo(replace);
  try {
    return checkDockerfile(expiration, { root, built }).map((p) => `${p.where}: ${p.message}`);
  } finally {
    removeFakeRepo(root);
  }
}

const edited = (edit: (text: string) => string) => checkWith({ 'expiration/Dockerfile': edit(dockerfile) });

describe('checkDockerfile', () => {
  it.each(SERVICES.map((s) => [s.name, s] as const))(
    'on the %s Dockerfile as it is, finds no problem',
    (_name, service) => {
      expect(checkDockerfile(service)).toEqual([]);
    },
  );

  it('when the base image is not pinned, says so', () => {
    expect(edited((d) => d.replace(/FROM node:\S+ AS deps/, 'FROM node:22-alpine AS deps'))).toEqual([
      'expiration/Dockerfile: FROM node:22-alpine: the base must be node:22.x.y-alpine, pinned to a release',
    ]);
  });

  it('when the base is another Node, says so', () => {
    expect(edited((d) => d.replace(/FROM node:\S+ AS runtime/, 'FROM node:20.18.0-alpine3.20 AS runtime'))).toEqual([
      'expiration/Dockerfile: FROM node:20.18.0-alpine3.20: the base must be node:22.x.y-alpine, pinned to a release',
      expect.stringMatching(
        /^expiration\/Dockerfile: FROM node:20.18.0-alpine3.20: .* is on the 20.x line, which got no fix/,
      ),
    ]);
  });

  it('when the image starts through npm, says that npm would not pass SIGTERM on', () => {
    expect(edited((d) => d.replace('CMD ["node", "dist/index.js"]', 'CMD ["npm", "start"]'))).toEqual([
      'expiration/Dockerfile: the last stage must start the service with an exec-form CMD ["node", "dist/…"], never npm or a shell',
    ]);
  });

  it('when CMD is in shell form, says so', () => {
    expect(edited((d) => d.replace('CMD ["node", "dist/index.js"]', 'CMD node dist/index.js'))).toHaveLength(1);
  });

  it('when the image runs as root, says so', () => {
    expect(edited((d) => d.replace(/USER node\nEXPOSE 8080\nCMD \["node"/, 'EXPOSE 8080\nCMD ["node"'))).toEqual([
      'expiration/Dockerfile: the last stage must end with USER node',
    ]);
  });

  it('when it builds without the shared script, says which script CI runs', () => {
    expect(edited((d) => d.replace('RUN SERVICE=expiration npm run build:service', 'RUN npm run build'))).toEqual([
      'expiration/Dockerfile: must build with `SERVICE=expiration npm run build:service`, the script CI runs',
    ]);
  });

  it('when the dev dependencies stay in the image, says so', () => {
    expect(edited((d) => d.replace('npm ci --omit=dev', 'npm ci'))).toEqual([
      "expiration/Dockerfile: must install the runtime's dependencies with `npm ci --omit=dev --workspace=expiration --workspace=common`: no dev dependency, no other service's",
    ]);
  });

  it("when the image installs every workspace's production dependencies, says so", () => {
    expect(edited((d) => d.replace(' --workspace=expiration --workspace=common', ''))).toEqual([
      "expiration/Dockerfile: must install the runtime's dependencies with `npm ci --omit=dev --workspace=expiration --workspace=common`: no dev dependency, no other service's",
    ]);
  });

  it('when the runtime takes node_modules from the build stage, with every dev dependency, says so', () => {
    expect(
      edited((d) => d.replace('COPY --from=prod-deps /app/node_modules', 'COPY --from=build /app/node_modules')),
    ).toEqual([
      'expiration/Dockerfile: the last stage must take its node_modules from the stage prod-deps, which runs npm ci --omit=dev --workspace=expiration --workspace=common',
    ]);
  });

  it("when the dev stage's command is not the service's dev script, says so", () => {
    expect(edited((d) => d.replace('"--clear-screen=false", ', ''))).toEqual([
      "expiration/Dockerfile: the dev stage's CMD must run expiration's dev script (tsx watch --clear-screen=false src/index.ts) in exec form",
    ]);
  });

  it('when a COPY names a file that is not in the build context, says so', () => {
    expect(
      edited((d) =>
        d.replace(
          'COPY common/src common/src\nCOPY expiration/tsconfig',
          'COPY common/srcs common/src\nCOPY expiration/tsconfig',
        ),
      ),
    ).toEqual([
      expect.stringMatching(/^expiration\/Dockerfile: line \d+: COPY common\/srcs: not in the build context/),
    ]);
  });

  it('when .dockerignore lets node_modules in, says so', () => {
    const dockerignore = readRepoFile('.dockerignore').replace('**/node_modules\n', '');
    expect(checkWith({ '.dockerignore': dockerignore })).toEqual(['.dockerignore: must exclude **/node_modules']);
  });

  it('when the package.json script is gone, says so', () => {
    const pkg = JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> };
    delete pkg.scripts['build:service'];
    expect(checkWith({ 'package.json': JSON.stringify(pkg) })).toEqual([
      'package.json: has no build:service script, which the Dockerfiles and CI run',
    ]);
  });

  it('with --built, when the build produced the file CMD starts, finds no problem', () => {
    expect(checkWith({ 'expiration/dist/index.js': '' }, true)).toEqual([]);
  });

  it('with --built, when the build did not produce it, says so', () => {
    expect(checkWith({ 'expiration/dist/index.js': null }, true)).toEqual([
      'expiration/Dockerfile: CMD starts /app/expiration/dist/index.js, but the build did not produce expiration/dist/index.js (expiration/src/index.ts?)',
    ]);
  });
});

describe('parseDockerfile', () => {
  it('joins continuation lines and names the stages', () => {
    const stages = parseDockerfile(
      'FROM node:22.1.0-alpine AS a\n# a comment\nRUN one \\\n  && two\nFROM a\nCMD ["x"]\n',
    );

    expect(stages).toEqual([
      { from: 'node:22.1.0-alpine', name: 'a', instructions: [{ keyword: 'RUN', args: 'one && two', line: 3 }] },
      { from: 'a', name: undefined, instructions: [{ keyword: 'CMD', args: '["x"]', line: 6 }] },
    ]);
  });
});

describe('readDockerignore', () => {
  it('excludes what the repository .dockerignore lists, in any folder, and nothing else', () => {
    const ignored = readDockerignore(REPO_ROOT);

    expect(ignored?.('node_modules/x')).toBe(true);
    expect(ignored?.('expiration/dist')).toBe(true);
    expect(ignored?.('common/src/__tests__/a.test.ts')).toBe(true);
    expect(ignored?.('common/src/index.ts')).toBe(false);
    expect(ignored?.('package-lock.json')).toBe(false);
  });
});
