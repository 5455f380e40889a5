import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { ServiceAccount, ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';

/** What a rendered overlay holds: plain objects as `kubectl apply` would send them. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly [field: string]: unknown;
}

/**
 * Renders an overlay with the Kustomize built into kubectl (ADR 14). Debian's own kubectl (1.20) carries a
 * Kustomize too old for these files, so the one this machine kind ships is the renderer; a missing one fails
 * with a message saying so rather than skipping.
 */
export function render(overlay: string): KubeObject[] {
  const result = spawnSync('kubectl', ['kustomize', overlay], { encoding: 'utf8' });
  if (result.error) {
    throw new Error(
      `rendering ${overlay} needs kubectl 1.21 or later (its built-in Kustomize): ${result.error.message}`,
    );
  }
  if (result.status !== 0) throw new Error(`kubectl kustomize ${overlay} failed: ${result.stderr}`);
  return parseYamlObjects(result.stdout);
}

export function parseYamlObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length) throw new Error(document.errors.map((e) => e.message).join('; '));
      return document.toJS() as KubeObject | null;
    })
    .filter((object): object is KubeObject => object !== null);
}

export function readYamlObjects(path: string): KubeObject[] {
  return parseYamlObjects(readFileSync(path, 'utf8'));
}

// The API schemas come from kubernetes-models, generated from Kubernetes' OpenAPI document and shipped with
// compiled validators: nothing is fetched while testing. They check types, required fields and formats; like
// the API server's own schema they do not reject unknown fields, which the policy checks cover where it matters.
const SCHEMAS: Record<string, { new (data: never): { validate(): void } }> = {
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

// Kustomize folds long base64 values of a Secret over several lines; the API server's base64 decoder skips
// line breaks, the schema's "byte" format does not.
function asTheApiServerReadsIt(object: KubeObject): KubeObject {
  const { data } = object as { data?: Record<string, string> };
  if (object.kind !== 'Secret' || !data) return object;
  const unfolded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.replace(/[\r\n]/g, '')]));
  return { ...object, data: unfolded };
}

/** Validates one object against its Kubernetes API schema; throws naming the object and what is wrong. */
export function validateAgainstSchema(object: KubeObject): void {
  const type = `${object.apiVersion}/${object.kind}`;
  const Model = SCHEMAS[type];
  if (!Model) throw new Error(`${type} ${object.metadata?.name}: no schema known for this kind`);
  try {
    new Model(asTheApiServerReadsIt(object) as never).validate();
  } catch (error) {
    throw new Error(`${type} ${object.metadata.name}: ${(error as Error).message}`);
  }
}
