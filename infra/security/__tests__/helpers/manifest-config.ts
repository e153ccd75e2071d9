import path from 'node:path';
import type { IContainer } from 'kubernetes-models/v1';
import { OVERLAYS_DIR } from '../../../validate/src/paths';
import { mountedConfigFile } from '../../../validate/src/config-files';
import { commandLine, optionValue } from '../../../validate/src/container-args';
import { findObject, type K8sObject, type Workload } from '../../../validate/src/manifest';
import { renderKustomization } from '../../../validate/src/render';

/** What a NATS server of an overlay runs with, as kustomize renders it. */
export interface NatsServerConfig {
  /** The text of its config file (-c), from the ConfigMap the StatefulSet mounts. */
  conf: string;
  /** Each environment variable the config reads a password from, and the key of the Secret it is set from. */
  passwordVariables: { variable: string; secretKey: string }[];
}

/**
 * Renders an overlay and reads its NATS server's configuration, exactly as the
 * cluster would get it.
 *
 * @param overlay - an overlay's folder name, such as `dev-jetstream`
 * @param statefulSet - the NATS server's StatefulSet
 * @returns its config file and password variables
 * @throws if the overlay has no such server or config file
 */
export function natsServerConfig(overlay: string, statefulSet: string): NatsServerConfig {
  const objects: K8sObject[] = renderKustomization(path.join(OVERLAYS_DIR, overlay));
  const workload = findObject<Workload>(objects, 'StatefulSet', statefulSet);
  const container: IContainer | undefined = workload?.spec.template.spec.containers[0];
  if (!workload || !container) throw new Error(`${overlay} has no StatefulSet ${statefulSet}`);
  const file = optionValue(commandLine(container), ['-c']);
  if (!file) throw new Error(`${statefulSet} runs without -c`);
  const config = mountedConfigFile(objects, workload, container, file);
  if ('missing' in config) throw new Error(config.missing);
  const passwordVariables = (container.env ?? []).flatMap((v) => {
    const key = v.valueFrom?.secretKeyRef?.key;
    return key && config.text.includes(`$${v.name}`) ? [{ variable: v.name, secretKey: key }] : [];
  });
  return { conf: config.text, passwordVariables };
}
