import type { IContainer } from 'kubernetes-models/v1';
import { commandLine, imageName, optionValue } from './container-args';
import {
  envVar,
  kubeletReferences,
  mountedConfigFile,
  natsAuthorization,
  secretOf,
  type SecretRef,
} from './config-files';
import { containersOf, describe, findObject, isWorkload, type K8sObject, type Workload } from './manifest';
import { Findings, type Problem, type RuleContext } from './rule-context';
import { SERVICES, serviceOf } from './services';
import { clusterService, type SharedCluster } from './shared-cluster';

/** Variables whose value is a secret, in any container. */
const SECRET_NAME = /(^|_)(KEY|PASSWORD|SECRET|TOKEN|AUTH)$/;

/** What each of our services authenticates to, besides NATS. */
const STORES_OF_SERVICE: Readonly<Record<string, 'redis' | 'mongo'>> = { expiration: 'redis', orders: 'mongo' };

type SecurityFindings = Record<'auth' | 'secrets' | 'env', Findings>;

/** A NATS server of the overlay and its users, with the Secret of each user's password. */
interface NatsServer {
  at: string;
  users: Map<string, SecretRef | undefined>;
}

/**
 * Everything that holds data or carries events asks for credentials, and the
 * credentials come from Secrets: Redis has a requirepass and its probes don't
 * put it on a command line; MongoDB runs with --auth and its users come from a
 * Secret; each NATS server has users, with no password in clear in its
 * configuration; our services connect as one of those users, with the very
 * password the server expects. Every variable named like a secret comes from a
 * Secret, and every `$(VAR)` the kubelet replaces names a variable it can.
 *
 * @param objects - the objects of one overlay
 * @param context - the overlay
 * @returns the problems
 */
export function checkSecurity(objects: readonly K8sObject[], { where, sharedCluster }: RuleContext): Problem[] {
  const f: SecurityFindings = Findings.of('auth', 'secrets', 'env');
  const workloads = objects.filter(isWorkload);
  const natsServers: NatsServer[] = [];
  const redisPasswords: SecretRef[] = [];
  for (const w of workloads) {
    for (const c of containersOf(w)) {
      const at = `${where}: ${describe(w)}: container ${c.name}`;
      checkReferences(c, at, f.env);
      if (!serviceOf(w, c)) checkSecretNames(c, at, f.secrets);
      const image = imageName(c);
      if (image === 'redis') {
        const password = checkRedis(c, at, f.auth);
        if (password) redisPasswords.push(password);
      }
      if (image === 'mongo') checkMongo(c, at, f.auth);
      if (image === 'nats' || image === 'nats-streaming') {
        const server = checkNatsServer(objects, w, c, at, f.auth);
        if (server) natsServers.push(server);
      }
    }
  }
  for (const service of SERVICES) {
    const w = findObject<Workload>(objects, 'Deployment', service.deployment);
    const c = w?.spec.template.spec.containers.find((container) => container.name === service.container);
    if (!w || !c) continue; // service-rules.ts reports it
    const at = `${where}: ${describe(w)}: container ${c.name}`;
    checkServiceNats(c, natsServers, sharedCluster, at, f.auth);
    if (STORES_OF_SERVICE[service.name] === 'redis') checkServiceRedis(c, redisPasswords, at, f.auth);
    if (STORES_OF_SERVICE[service.name] === 'mongo') checkServiceMongo(c, at, f.auth);
  }
  return Object.values(f).flatMap((found) => found.problems);
}

/** Every `$(VAR)` of an env value names a variable set before it; of the command line, one set at all. */
function checkReferences(c: IContainer, at: string, found: Findings): void {
  const defined: string[] = [];
  for (const variable of c.env ?? []) {
    for (const name of kubeletReferences(variable.value ?? '')) {
      if (!defined.includes(name)) {
        found.add(
          at,
          `env ${variable.name} refers to $(${name}), which is not set before it: the kubelet would leave the text as it is`,
        );
      }
    }
    defined.push(variable.name);
  }
  for (const arg of commandLine(c)) {
    for (const name of kubeletReferences(arg)) {
      if (!defined.includes(name)) {
        found.add(at, `the command line refers to $(${name}), which the container's env does not set`);
      }
    }
  }
}

function checkSecretNames(c: IContainer, at: string, found: Findings): void {
  for (const variable of c.env ?? []) {
    if (SECRET_NAME.test(variable.name) && !variable.valueFrom?.secretKeyRef) {
      found.add(
        at,
        `env ${variable.name} holds a secret: take it from a Secret (valueFrom.secretKeyRef), not from the manifest`,
      );
    }
  }
}

/** A value that is `$(VAR)` with VAR from a Secret: the Secret; otherwise undefined. */
function secretBehind(c: IContainer, value: string | undefined): SecretRef | undefined {
  const [name] = kubeletReferences(value ?? '');
  return name !== undefined && value === `$(${name})` ? secretOf(c, name) : undefined;
}

/** @returns the Secret of its requirepass, when there is one */
function checkRedis(c: IContainer, at: string, found: Findings): SecretRef | undefined {
  const argv = commandLine(c);
  const requirepass = optionValue(argv, ['--requirepass']);
  const password = secretBehind(c, requirepass);
  if (!password && !optionValue(argv, ['--aclfile'])) {
    found.add(
      at,
      requirepass === undefined
        ? 'redis-server has no --requirepass: any pod that reaches it can read and delete every pending expiration'
        : 'redis-server --requirepass must be $(VAR), VAR taken from a Secret, not a value in the manifest',
    );
  }
  for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
    const command = c[kind]?.exec?.command ?? [];
    if (command.some((arg) => /(^|\s)(-a|--pass|--user)(\s|=|$)/.test(arg))) {
      found.add(
        at,
        `${kind} passes the password on redis-cli's command line: let redis-cli read it from REDISCLI_AUTH (env, from a Secret)`,
      );
    }
  }
  return password;
}

function checkMongo(c: IContainer, at: string, found: Findings): void {
  if (!commandLine(c).includes('--auth')) {
    found.add(at, 'mongod runs without --auth: any pod that reaches it can read and change every order');
  }
  for (const variable of ['MONGO_INITDB_ROOT_USERNAME', 'MONGO_INITDB_ROOT_PASSWORD']) {
    if (!secretOf(c, variable)) {
      found.add(at, `env ${variable} must come from a Secret: the image's entrypoint creates the root user from it`);
    }
  }
}

function checkNatsServer(
  objects: readonly K8sObject[],
  w: Workload,
  c: IContainer,
  at: string,
  found: Findings,
): NatsServer | undefined {
  const file = optionValue(commandLine(c), ['-c', '--config', '-sc', '--stan_config']);
  if (!file) {
    found.add(
      at,
      'the NATS server has no config file (-c) with users: anyone who reaches it may publish and subscribe to anything',
    );
    return undefined;
  }
  const conf = mountedConfigFile(objects, w, c, file);
  if ('missing' in conf) {
    found.add(at, conf.missing);
    return undefined;
  }
  const { authorization, users, passwords, noAuthUser } = natsAuthorization(conf.text);
  if (!authorization || users.length === 0) {
    found.add(at, `${file} (ConfigMap ${conf.configMap}) has no authorization block with users`);
  }
  if (noAuthUser) found.add(at, `${file} sets no_auth_user: clients without credentials get in as that user`);
  for (const password of passwords.filter((p) => !p.startsWith('$'))) {
    found.add(
      at,
      `${file} (ConfigMap ${conf.configMap}) holds a password in clear (${password.slice(0, 2)}…): write $VAR and set VAR from a Secret`,
    );
  }
  const server: NatsServer = { at, users: new Map() };
  for (const { user, password } of users) {
    // A password in clear is reported above; the user exists all the same.
    const variable = password.startsWith('$') ? password.slice(1) : undefined;
    const secret = variable === undefined ? undefined : secretOf(c, variable);
    if (variable !== undefined && !secret) {
      found.add(
        at,
        `the password of NATS user ${user} is $${variable}, which the container does not set from a Secret`,
      );
    }
    server.users.set(user, secret);
  }
  return server;
}

/**
 * The service connects as a user of the NATS server, with the password the
 * server has for that user. A NATS server of the shared cluster, not of the
 * overlay, has users the overlay can't know (the course's has none).
 */
function checkServiceNats(
  c: IContainer,
  servers: readonly NatsServer[],
  sharedCluster: SharedCluster | undefined,
  at: string,
  found: Findings,
): void {
  if (envVar(c, 'NATS_CREDS')) return;
  const user = envVar(c, 'NATS_USER')?.value;
  if (!user) {
    if (clusterService(sharedCluster, natsHost(c))) return;
    found.add(
      at,
      'sets neither NATS_USER (with NATS_PASSWORD) nor NATS_CREDS: it would connect to NATS without credentials',
    );
    return;
  }
  const password = secretOf(c, 'NATS_PASSWORD');
  for (const server of servers) {
    if (!server.users.has(user)) {
      found.add(
        at,
        `NATS_USER ${user} is not a user of the NATS server (${server.at.split(': ').slice(1).join(': ')})`,
      );
      continue;
    }
    const expected = server.users.get(user);
    if (expected && (password?.name !== expected.name || password.key !== expected.key)) {
      found.add(
        at,
        `NATS_PASSWORD must come from Secret ${expected.name} key ${expected.key}, where the NATS server takes user ${user}'s password`,
      );
    }
  }
}

function checkServiceRedis(c: IContainer, redisPasswords: readonly SecretRef[], at: string, found: Findings): void {
  const password = secretOf(c, 'REDIS_PASSWORD');
  if (!password) {
    found.add(at, 'REDIS_PASSWORD must be set from a Secret: Redis requires a password');
    return;
  }
  for (const expected of redisPasswords) {
    if (password.name !== expected.name || password.key !== expected.key) {
      found.add(at, `REDIS_PASSWORD must come from Secret ${expected.name} key ${expected.key}, Redis's requirepass`);
    }
  }
}

/** MONGO_URI carries a user and password: from a Secret whole, or with its password taken from one. */
function checkServiceMongo(c: IContainer, at: string, found: Findings): void {
  const uri = envVar(c, 'MONGO_URI');
  // Not a MongoDB URL at all: the service's config loader says so (service-rules.ts).
  if (!uri || uri.valueFrom?.secretKeyRef || !/^mongodb(\+srv)?:\/\//.test(uri.value ?? '')) return;
  const credentials = /^mongodb(\+srv)?:\/\/([^/@]+)@/.exec(uri.value ?? '')?.[2];
  const password = credentials?.split(':')[1];
  if (!password) {
    found.add(at, 'MONGO_URI has no user and password: MongoDB runs with --auth');
  } else if (!secretBehind(c, password)) {
    found.add(at, 'the password in MONGO_URI must be $(VAR), VAR taken from a Secret (or MONGO_URI from a Secret)');
  }
}

/** @returns the host of the container's NATS_URL (the first server of a list), or '' when it has none that parses */
function natsHost(c: IContainer): string {
  try {
    return new URL((envVar(c, 'NATS_URL')?.value ?? '').split(',')[0].trim()).hostname;
  } catch {
    return '';
  }
}
