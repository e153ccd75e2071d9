import { DaemonSet, Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { CronJob, Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Gateway, HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
// The Prometheus Operator's CRDs (models generated from its CRD schemas), for components/monitoring.
import {
  PodMonitor,
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { describe, type K8sObject } from './manifest';
import type { Problem } from './rule-context';

/** What the models of kubernetes-models have in common. */
interface ModelClass {
  new (data: never): object;
  readonly apiVersion: string;
  readonly kind: string;
  prototype: { validate(): void };
}

/** The kinds these manifests may use, by `apiVersion/kind` (each model knows its own). Add one here to allow it. */
const MODELS: Record<string, ModelClass> = Object.fromEntries(
  [
    ...[Deployment, StatefulSet, DaemonSet, Job, CronJob, HorizontalPodAutoscaler, PodDisruptionBudget],
    ...[Service, ConfigMap, Secret, ServiceAccount, PersistentVolumeClaim, Namespace, Ingress, NetworkPolicy],
    // The Gateway API's CRDs (standard channel, v1.0.0) as the @kubernetes-models/gateway-api 0.5 line models
    // them: its 1.x and 2.x lines are ESM-only and need Node 22.
    ...[Gateway, HTTPRoute],
    ...[PrometheusRule, PodMonitor, ServiceMonitor],
  ].map((model: ModelClass) => [`${model.apiVersion}/${model.kind}`, model]),
);

interface AjvError {
  instancePath: string;
  message?: string;
}

/**
 * Validates each object against the Kubernetes OpenAPI schema of its kind
 * (kubernetes-models), and rejects fields the schema doesn't define.
 *
 * @param objects - rendered objects
 * @param where - the overlay, for messages
 * @returns one problem per error
 */
export function checkSchema(objects: readonly K8sObject[], where: string): Problem[] {
  return objects.flatMap((object) => checkObject(object, `${where}: ${describe(object)}`));
}

function checkObject(object: K8sObject, where: string): Problem[] {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) {
    return [
      {
        rule: 'schema',
        where,
        message: `no schema for apiVersion ${object.apiVersion} kind ${object.kind} (see infra/validate/src/schema.ts)`,
      },
    ];
  }
  // The model copies the data into plain objects, which the proxy then watches.
  const model = new Model(object as never);
  const seen = watchReads(model);
  const problems: Problem[] = [];
  try {
    Model.prototype.validate.call(seen.proxy);
  } catch (err) {
    const errors = (err as { errors?: AjvError[] }).errors;
    for (const e of errors ?? [{ instancePath: '', message: (err as Error).message }]) {
      problems.push({
        rule: 'schema',
        where,
        message: `${jsonPointerToPath(e.instancePath) || '(object)'}: ${e.message ?? 'is invalid'}`,
      });
    }
  }
  for (const field of unreadFields(model, seen)) {
    problems.push({ rule: 'schema', where, message: `${field}: unknown field` });
  }
  return problems;
}

interface Reads {
  proxy: object;
  /** The keys the validator looked up, per object. */
  keys: WeakMap<object, Set<string>>;
  /** The objects whose keys the validator listed: maps, such as labels, whose keys are free. */
  listed: WeakSet<object>;
}

/**
 * kubernetes-models' validators (compiled by ajv) accept fields their schema
 * doesn't define, as Kubernetes' schemas don't say additionalProperties: false;
 * the API server then drops them without a word. But a validator looks up, by
 * name, every field its schema defines. So every field of the data that the
 * validator never looked up is one the schema doesn't know: `replicass`, `imag`.
 * Objects it lists the keys of are maps (labels, resources.limits): any key goes.
 * A free-form object (RawExtension, a CRD's preserve-unknown-fields) would show
 * all its fields as unknown; none of the kinds in MODELS has one we write.
 *
 * @param root - the data to validate
 * @returns a proxy to validate instead, and what the validator read of it
 */
function watchReads(root: object): Reads {
  const keys = new WeakMap<object, Set<string>>();
  const listed = new WeakSet<object>();
  const proxies = new WeakMap<object, object>();
  const note = (target: object, key: string | symbol): void => {
    if (typeof key !== 'string') return;
    let set = keys.get(target);
    if (!set) keys.set(target, (set = new Set()));
    set.add(key);
  };
  const wrap = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const cached = proxies.get(value);
    if (cached) return cached;
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        note(target, key);
        return wrap(Reflect.get(target, key, receiver));
      },
      has(target, key) {
        note(target, key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        listed.add(target);
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };
  return { proxy: wrap(root) as object, keys, listed };
}

function unreadFields(value: unknown, reads: Reads, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => unreadFields(item, reads, `${path}[${i}]`));
  const read = reads.keys.get(value);
  const free = reads.listed.has(value);
  return Object.entries(value).flatMap(([key, child]) => {
    const childPath = path ? `${path}.${key}` : key;
    if (!free && !read?.has(key)) return [childPath];
    return unreadFields(child, reads, childPath);
  });
}

function jsonPointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}
