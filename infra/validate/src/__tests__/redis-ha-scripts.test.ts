/**
 * The start scripts of the Redis pods in overlays/prod-ha, as kustomize puts
 * them into the ConfigMap expiration-redis-scripts: which role each pod starts
 * in, and what its Sentinel monitors. redis-cli is replaced by a fake that
 * answers `SENTINEL get-master-addr-by-name` per host, as the Sentinels of the
 * other pods would; the command line the script would exec is printed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderOverlay } from './helpers/manifests';

const SERVICE = 'expiration-redis-srv';
const host = (n: number): string => `expiration-redis-${n}.${SERVICE}`;

describe('the Redis start scripts of prod-ha', () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-ha-scripts-'));
    const configMap = renderOverlay('prod-ha').find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('expiration-redis-scripts-'),
    ) as { data: Record<string, string> } | undefined;
    if (!configMap) throw new Error('no ConfigMap expiration-redis-scripts');
    for (const [name, text] of Object.entries(configMap.data)) fs.writeFileSync(path.join(dir, name), text);
    fs.mkdirSync(path.join(dir, 'bin'));
    // Answers from the file `answers` (`<host> <reply>` lines); a host not in it can't be reached.
    fs.writeFileSync(
      path.join(dir, 'bin', 'redis-cli'),
      `#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = "-h" ] && host="$2"; shift; done
reply=$(grep "^$host " "${dir}/answers" | cut -d' ' -f2-)
[ -n "$reply" ] || { echo "Could not connect to Redis at $host:26379" >&2; exit 1; }
printf '%s\\n6379\\n' "$reply"
`,
      { mode: 0o755 },
    );
    fs.mkdirSync(path.join(dir, 'sentinel'));
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs a script as pod `pod` would, with the given Sentinel answers; returns what it prints. */
  function run(script: string, pod: number, answers: Record<string, string>, args: string[]): string {
    fs.writeFileSync(
      path.join(dir, 'answers'),
      Object.entries(answers)
        .map(([h, reply]) => `${h} ${reply}\n`)
        .join(''),
    );
    return execFileSync('sh', [path.join(dir, script), ...args], {
      encoding: 'utf8',
      env: {
        PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`,
        POD_NAME: `expiration-redis-${pod}`,
        REDIS_SERVICE: SERVICE,
        REDIS_PODS: '3',
        REDISCLI_AUTH: 'psecret',
      },
    });
  }

  const redis = (pod: number, answers: Record<string, string>): string =>
    run('redis-start.sh', pod, answers, ['echo', 'redis-server', '--appendonly', 'yes']).trim().split('\n').pop() ?? '';

  it('on a first start, with no Sentinel answering, makes the first pod the master and the others its replicas', () => {
    expect(redis(0, {})).toBe('redis-server --appendonly yes');
    expect(redis(2, {})).toBe(`redis-server --appendonly yes --replicaof ${host(0)} 6379`);
  });

  it('after a failover, starts the old master as a replica of the one the Sentinels name', () => {
    expect(redis(0, { [host(1)]: host(2) })).toBe(`redis-server --appendonly yes --replicaof ${host(2)} 6379`);
  });

  it('starts as the master when the Sentinels name this pod', () => {
    expect(redis(1, { [host(0)]: host(1) })).toBe('redis-server --appendonly yes');
  });

  it('ignores a Sentinel that refuses the password, and asks the next', () => {
    const answers = { [host(0)]: 'NOAUTH Authentication required.', [host(2)]: host(2) };
    expect(redis(1, answers)).toBe(`redis-server --appendonly yes --replicaof ${host(2)} 6379`);
  });

  it("writes the Sentinel's configuration for the master the others name, with the password, readable by it only", () => {
    const conf = path.join(dir, 'sentinel', 'sentinel.conf');
    run('sentinel-start.sh', 1, { [host(2)]: host(2) }, ['true', conf, '--sentinel']);
    const text = fs.readFileSync(conf, 'utf8');
    expect(fs.statSync(conf).mode & 0o077).toBe(0);
    expect(text).toContain(`sentinel monitor mymaster ${host(2)} 6379 2`);
    expect(text).toContain('sentinel auth-pass mymaster psecret');
    expect(text).toContain(`sentinel announce-ip ${host(1)}`);
    expect(text).toContain(`dir ${path.dirname(conf)}`);
    expect(text.indexOf('sentinel resolve-hostnames yes')).toBeLessThan(text.indexOf('sentinel monitor'));
  });
});
