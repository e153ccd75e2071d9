import path from 'node:path';
import type { IConfigMap, IContainer, IEnvVar } from 'kubernetes-models/v1';
import { findObject, type K8sObject, type Workload } from './manifest';

/** Where a Secret's value comes from: the Secret and its key. */
export interface SecretRef {
  name: string;
  key: string;
}

/**
 * @param container - a container
 * @param variable - an env variable's name
 * @returns its entry, if the container sets it
 */
export function envVar(container: IContainer, variable: string): IEnvVar | undefined {
  return (container.env ?? []).find((v) => v.name === variable);
}

/**
 * @param container - a container
 * @param variable - an env variable's name
 * @returns the Secret and key it comes from, if it comes from one
 */
export function secretOf(container: IContainer, variable: string): SecretRef | undefined {
  const ref = envVar(container, variable)?.valueFrom?.secretKeyRef;
  return ref?.name && ref.key ? { name: ref.name, key: ref.key } : undefined;
}

/**
 * @param text - a value, command or argument
 * @returns the variables it refers to as `$(NAME)`, which the kubelet replaces
 */
export function kubeletReferences(text: string): string[] {
  return [...text.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1]);
}

/**
 * Reads a config file a container opens, from the ConfigMap mounted where it
 * lies (the mount's own folder, not `items` or `subPath`).
 *
 * @param objects - the objects of the overlay
 * @param workload - the workload
 * @param container - one of its containers
 * @param file - the file's absolute path in the container
 * @returns the file's text and the ConfigMap holding it, or why it can't be read
 */
export function mountedConfigFile(
  objects: readonly K8sObject[],
  workload: Workload,
  container: IContainer,
  file: string,
): { text: string; configMap: string } | { missing: string } {
  const mount = (container.volumeMounts ?? [])
    .filter((m) => file.startsWith(`${m.mountPath.replace(/\/$/, '')}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  const volume = mount && (workload.spec.template.spec.volumes ?? []).find((v) => v.name === mount.name);
  const name = volume?.configMap?.name;
  if (!mount || !name) return { missing: `${file} is not in a ConfigMap mounted in the container` };
  const configMap = findObject<IConfigMap & K8sObject>(objects, 'ConfigMap', name);
  const key = file.slice(mount.mountPath.replace(/\/$/, '').length + 1);
  const text = configMap?.data?.[key];
  if (text === undefined) return { missing: `${file}: ConfigMap ${name} has no key ${key}` };
  return withIncludes(text, configMap?.data ?? {}, name, file);
}

/** nats-server's `include <file>`: a path relative to the including file's folder. */
const INCLUDE = /^[ \t]*include[ \t]+("[^"]+"|'[^']+'|[^\s;]+)[ \t]*;?[ \t]*$/gm;

/**
 * Puts the text of each file a config includes in place of its `include`
 * line, as nats-server reads it: the included files are keys of the same
 * ConfigMap, in the same folder.
 */
function withIncludes(
  text: string,
  data: Readonly<Record<string, string>>,
  configMap: string,
  file: string,
  depth = 0,
): { text: string; configMap: string } | { missing: string } {
  let missing: string | undefined;
  const expanded = text.replace(INCLUDE, (_line, quoted: string) => {
    const included = path.posix.normalize(quoted.replace(/^["']|["']$/g, ''));
    const inner = data[included];
    if (depth >= 5) missing ??= `${file}: includes nest deeper than 5 files`;
    else if (inner === undefined || included.includes('/')) {
      missing ??= `${file} includes ${included}, which is not a key of ConfigMap ${configMap}`;
    } else {
      const result = withIncludes(inner, data, configMap, included, depth + 1);
      if ('missing' in result) missing ??= result.missing;
      else return result.text;
    }
    return '';
  });
  return missing === undefined ? { text: expanded, configMap } : { missing };
}

/** A user of a NATS server's authorization block. */
export interface NatsUser {
  user: string;
  /** As written: `$NATS_ORDERS_PASSWORD`, or a password in clear. */
  password: string;
}

/**
 * The users of a NATS server configuration, written `user: name` then
 * `password: value`, as nats-auth.conf and nats-streaming.conf write them.
 *
 * @param conf - the configuration's text
 * @returns whether it has an authorization block, its users, and every password as written
 */
export function natsAuthorization(conf: string): {
  authorization: boolean;
  users: NatsUser[];
  passwords: string[];
  noAuthUser: boolean;
} {
  // Comments name these settings too; they are not settings.
  const text = conf.replace(/(^|\s)(#|\/\/).*$/gm, '$1');
  const users = [...text.matchAll(/\buser\s*[:=]?\s*"?([\w-]+)"?\s*,?\s*password\s*[:=]?\s*("[^"]*"|[^\s,}]+)/g)].map(
    (m) => ({ user: m[1], password: m[2] }),
  );
  return {
    authorization: /\bauthorization\s*[:=]?\s*\{/.test(text),
    users,
    passwords: [...text.matchAll(/\bpassword\s*[:=]?\s*("[^"]*"|[^\s,}]+)/g)].map((m) => m[1]),
    noAuthUser: /\bno_auth_user\b/.test(text),
  };
}
