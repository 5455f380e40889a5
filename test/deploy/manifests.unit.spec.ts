import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IContainer, IPodSpec } from 'kubernetes-models/v1';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { INetworkPolicy, IIngress } from 'kubernetes-models/networking.k8s.io/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { ILabelSelector } from '@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector';
import { loadSettings, type SecretVariable, type SettingsDefaults } from '@wharf/runtime';
import { type KubeObject, readYamlObjects, render, validateAgainstSchema } from './manifests.js';

const OVERLAYS = ['deploy/overlays/dev', 'deploy/overlays/production'];
// Every app but the all-in-one process and the command line (a client people run, not a service).
const SERVICES = readdirSync('apps').filter(
  (app) => app !== 'wharf' && app !== 'cli' && existsSync(join('apps', app, 'src', 'main.ts')),
);
// The Secret production brings itself (docs/operations.md); dev generates one under the same name.
const EXTERNAL_SECRET = 'wharf-secrets';
const SECRET_LOOKING = /PASSWORD|SECRET|TOKEN|CREDENTIAL|_KEY$|^MONGODB_URL$/;

const rendered = new Map(OVERLAYS.map((overlay) => [overlay, render(overlay)]));
const objects = (overlay: string) => rendered.get(overlay)!;
const ofKind = <T>(overlay: string, kind: string) =>
  objects(overlay).filter((o) => o.kind === kind) as unknown as (T & KubeObject)[];
const deployments = (overlay: string) => ofKind<IDeployment>(overlay, 'Deployment');
const podSpec = (deployment: IDeployment) => deployment.spec!.template.spec as IPodSpec;
const component = (deployment: IDeployment) =>
  deployment.spec!.template.metadata!.labels!['app.kubernetes.io/component']!;
const stringData = (object: KubeObject) => {
  const { data = {} } = object as { data?: Record<string, string> };
  return object.kind === 'Secret'
    ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]))
    : data;
};

/** The settings defaults a service's main.ts passes to runProcess, read from its source. */
function serviceDefaults(service: string): SettingsDefaults {
  const source = readFileSync(join('apps', service, 'src', 'main.ts'), 'utf8');
  const field = (name: string) => new RegExp(`${name}: '?([\\w-]+)'?`).exec(source)?.[1];
  const required = /requiredSecrets: \[([^\]]*)\]/.exec(source)?.[1] ?? '';
  return {
    bus: field('bus') as SettingsDefaults['bus'],
    eventStore: field('eventStore') as SettingsDefaults['eventStore'],
    blobStore: field('blobStore') as SettingsDefaults['blobStore'],
    httpPortVariable: field('httpPortVariable')!,
    httpPort: Number(field('httpPort')),
    requiredSecrets: [...required.matchAll(/'(\w+)'/g)].map((m) => m[1] as SecretVariable),
  };
}

function selects(selector: ILabelSelector, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    if (operator === 'In') return values.includes(labels[key]!);
    if (operator === 'NotIn') return !values.includes(labels[key]!);
    if (operator === 'Exists') return key in labels;
    return !(key in labels);
  });
  return byLabels && byExpressions;
}

const podLabels = (deployment: IDeployment) => deployment.spec!.template.metadata!.labels ?? {};
const selected = (overlay: string, selector: ILabelSelector) =>
  deployments(overlay).filter((d) => selects(selector, podLabels(d)));
const containerPortNames = (deployment: IDeployment) =>
  podSpec(deployment).containers.flatMap((c) => (c.ports ?? []).map((p) => p.name));

/** The environment a container starts with, secrets taken from `secrets` (by Secret name, then key). */
function containerEnv(overlay: string, container: IContainer, secrets: Map<string, Record<string, string>>) {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const configMap = objects(overlay).find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name === source.configMapRef?.name,
    );
    expect(configMap, `ConfigMap ${source.configMapRef?.name}`).toBeDefined();
    Object.assign(env, stringData(configMap!));
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    env[variable.name] = ref ? (secrets.get(ref.name!)?.[ref.key] ?? '') : (variable.value ?? '');
  }
  return env;
}

const renderedSecrets = (overlay: string) =>
  new Map(
    objects(overlay)
      .filter((o) => o.kind === 'Secret')
      .map((s) => [s.metadata.name, stringData(s)]),
  );
// Production's Secret is made outside; the dev values stand in for its keys (same names, valid shapes).
const devSecretValues = [...renderedSecrets('deploy/overlays/dev').values()][0]!;

describe.each(OVERLAYS)('the %s overlay', (overlay) => {
  it('renders objects that each validate against the Kubernetes API schema', () => {
    expect(objects(overlay).length).toBeGreaterThan(20);
    for (const object of objects(overlay)) validateAgainstSchema(object);
  });

  it('runs every service in apps/ as a Deployment of the one image, naming its entry point', () => {
    expect(deployments(overlay).map(component).sort()).toEqual([...SERVICES].sort());
    const images = new Set(deployments(overlay).flatMap((d) => podSpec(d).containers.map((c) => c.image)));
    expect(images.size).toBe(1);
    for (const deployment of deployments(overlay)) {
      const [container] = podSpec(deployment).containers;
      expect(container!.args).toEqual([`apps/${component(deployment)}/dist/main.js`]);
    }
  });

  it('gives every Deployment probes, requests and limits, a non-root read-only container and no API token', () => {
    for (const deployment of deployments(overlay)) {
      const spec = podSpec(deployment);
      const name = deployment.metadata!.name;
      expect(spec.automountServiceAccountToken, name).toBe(false);
      expect(spec.securityContext?.runAsNonRoot, name).toBe(true);
      expect(spec.securityContext?.runAsUser, name).toBeGreaterThan(0);
      for (const container of spec.containers) {
        const at = `${name}/${container.name}`;
        expect(container.readinessProbe?.httpGet?.path, at).toBe('/readyz');
        expect(container.livenessProbe?.httpGet?.path, at).toBe('/healthz');
        expect(containerPortNames(deployment), at).toContain(container.readinessProbe?.httpGet?.port);
        expect(containerPortNames(deployment), at).toContain(container.livenessProbe?.httpGet?.port);
        for (const bound of ['requests', 'limits'] as const) {
          expect(container.resources?.[bound]?.cpu, `${at} ${bound}.cpu`).toBeDefined();
          expect(container.resources?.[bound]?.memory, `${at} ${bound}.memory`).toBeDefined();
        }
        const security = container.securityContext;
        expect(security?.readOnlyRootFilesystem, at).toBe(true);
        expect(security?.runAsNonRoot, at).toBe(true);
        expect(security?.allowPrivilegeEscalation, at).toBe(false);
        expect(security?.capabilities?.drop, at).toEqual(['ALL']);
      }
    }
  });

  it('runs pods as a ServiceAccount that mounts no token and is granted nothing', () => {
    const accounts = objects(overlay).filter((o) => o.kind === 'ServiceAccount');
    for (const deployment of deployments(overlay)) {
      const account = accounts.find((a) => a.metadata.name === podSpec(deployment).serviceAccountName);
      expect(account, deployment.metadata!.name).toBeDefined();
      expect(account!.automountServiceAccountToken).toBe(false);
    }
    expect(objects(overlay).filter((o) => /Role|Binding/.test(o.kind))).toEqual([]);
  });

  it('keeps every secret in a Secret: no secret-looking key or credentialed URL in a ConfigMap or plain env', () => {
    for (const configMap of objects(overlay).filter((o) => o.kind === 'ConfigMap')) {
      for (const [key, value] of Object.entries(stringData(configMap))) {
        expect(key, `ConfigMap ${configMap.metadata.name}`).not.toMatch(SECRET_LOOKING);
        expect(value, `ConfigMap ${configMap.metadata.name} ${key}`).not.toMatch(/:\/\/[^/@\s]+:[^/@\s]*@/);
      }
    }
    for (const deployment of deployments(overlay)) {
      for (const container of podSpec(deployment).containers) {
        for (const variable of container.env ?? []) {
          if (!SECRET_LOOKING.test(variable.name)) continue;
          expect(
            variable.valueFrom?.secretKeyRef,
            `${deployment.metadata!.name} ${variable.name}`,
          ).toBeDefined();
        }
      }
    }
  });

  it("configures each service so that Wharf's own settings accept it, on the ports its probes and Service use", () => {
    const secrets = renderedSecrets(overlay);
    if (!secrets.size) secrets.set(EXTERNAL_SECRET, devSecretValues);
    for (const deployment of deployments(overlay)) {
      const service = component(deployment);
      const [container] = podSpec(deployment).containers;
      for (const variable of container!.env ?? []) {
        const ref = variable.valueFrom?.secretKeyRef;
        if (ref) expect(secrets.get(ref.name!), `${service}: Secret ${ref.name}`).toHaveProperty(ref.key);
      }
      const settings = loadSettings(containerEnv(overlay, container!, secrets), serviceDefaults(service));
      const port = (name: string) => container!.ports?.find((p) => p.name === name)?.containerPort;
      expect(port('http'), service).toBe(settings.httpPort);
      if (service === 'distribution') expect(port('registry')).toBe(settings.registryPort);
      // The writable places under a read-only root: the data directory and the temporary directory.
      const mounts = new Map((container!.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
      for (const path of [settings.dataDir, '/tmp']) {
        const volume = podSpec(deployment).volumes?.find((v) => v.name === mounts.get(path));
        expect(volume?.emptyDir, `${service} ${path}`).toBeDefined();
      }
    }
  });

  it('points every Service, Ingress and NetworkPolicy at workloads and ports that exist', () => {
    const services = objects(overlay).filter((o) => o.kind === 'Service') as unknown as (KubeObject & {
      spec: { selector: Record<string, string>; ports: { name: string; targetPort: string }[] };
    })[];
    for (const service of services) {
      const [target, ...more] = selected(overlay, { matchLabels: service.spec.selector });
      expect(target, `Service ${service.metadata.name}`).toBeDefined();
      expect(more).toEqual([]);
      for (const port of service.spec.ports) expect(containerPortNames(target!)).toContain(port.targetPort);
    }
    for (const ingress of ofKind<IIngress>(overlay, 'Ingress')) {
      for (const path of ingress.spec!.rules!.flatMap((rule) => rule.http!.paths)) {
        const backend = path.backend.service!;
        const service = services.find((s) => s.metadata.name === backend.name);
        expect(service, `Ingress ${ingress.metadata!.name} → ${backend.name}`).toBeDefined();
        expect(service!.spec.ports.map((p) => p.name)).toContain(backend.port!.name);
      }
    }
    const exposed = ofKind<IIngress>(overlay, 'Ingress').flatMap((i) =>
      i.spec!.rules!.flatMap((rule) => rule.http!.paths.map((path) => path.backend.service!.name)),
    );
    expect(new Set(exposed)).toEqual(new Set(['wharf-gateway', 'wharf-distribution']));
    for (const policy of ofKind<INetworkPolicy>(overlay, 'NetworkPolicy')) {
      const pods = selected(overlay, policy.spec!.podSelector);
      expect(pods.length, `NetworkPolicy ${policy.metadata!.name} selects no workload`).toBeGreaterThan(0);
      const named = [...(policy.spec!.ingress ?? []), ...(policy.spec!.egress ?? [])]
        .flatMap((rule) => rule.ports ?? [])
        .map((p) => p.port)
        .filter((p): p is string => typeof p === 'string');
      for (const name of named) {
        for (const pod of pods) expect(containerPortNames(pod), policy.metadata!.name).toContain(name);
      }
    }
  });

  it('denies all traffic to and from Wharf pods except what a policy allows', () => {
    const denyAll = ofKind<INetworkPolicy>(overlay, 'NetworkPolicy').find(
      (p) => !p.spec!.ingress && !p.spec!.egress && p.spec!.policyTypes?.length === 2,
    );
    expect(denyAll).toBeDefined();
    expect(selected(overlay, denyAll!.spec!.podSelector).length).toBe(deployments(overlay).length);
    // Only sync talks to the outside world (upstream registries).
    const outside = ofKind<INetworkPolicy>(overlay, 'NetworkPolicy').filter((p) =>
      (p.spec!.egress ?? []).some((rule) => rule.to?.some((peer) => peer.ipBlock)),
    );
    expect(outside.flatMap((p) => selected(overlay, p.spec!.podSelector).map(component))).toEqual(['sync']);
  });
});

describe('the dev overlay', () => {
  const overlay = 'deploy/overlays/dev';

  it('runs one replica of each service, without autoscalers or disruption budgets', () => {
    for (const deployment of deployments(overlay)) expect(deployment.spec!.replicas).toBe(1);
    expect(objects(overlay).filter((o) => /Autoscaler|DisruptionBudget/.test(o.kind))).toEqual([]);
  });
});

describe('the production overlay', () => {
  const overlay = 'deploy/overlays/production';
  const autoscalers = () => ofKind<IHorizontalPodAutoscaler>(overlay, 'HorizontalPodAutoscaler');
  const autoscalerOf = (deployment: IDeployment) =>
    autoscalers().find((hpa) => hpa.spec!.scaleTargetRef.name === deployment.metadata!.name);
  /** The fewest pods a Deployment runs: its own count, or its autoscaler's floor. */
  const fewestReplicas = (deployment: IDeployment) =>
    deployment.spec!.replicas ?? autoscalerOf(deployment)?.spec!.minReplicas ?? 1;

  it('runs two or more replicas of every service but content, spread over nodes', () => {
    for (const deployment of deployments(overlay)) {
      const name = component(deployment);
      if (name === 'content') {
        expect(deployment.spec!.replicas).toBe(1);
        expect(deployment.spec!.strategy?.type).toBe('Recreate');
        continue;
      }
      expect(fewestReplicas(deployment), name).toBeGreaterThanOrEqual(2);
      const spread =
        podSpec(deployment).affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
      expect(spread?.[0]?.podAffinityTerm.topologyKey, name).toBe('kubernetes.io/hostname');
      expect(selected(overlay, spread![0]!.podAffinityTerm.labelSelector!)).toEqual([deployment]);
    }
  });

  it('autoscales sync and distribution on CPU, which their requests make measurable, and leaves them the count', () => {
    const targets = autoscalers()
      .map((hpa) => hpa.spec!.scaleTargetRef.name)
      .sort();
    expect(targets).toEqual(['wharf-distribution', 'wharf-sync']);
    for (const hpa of autoscalers()) {
      const target = deployments(overlay).find((d) => d.metadata!.name === hpa.spec!.scaleTargetRef.name)!;
      expect(hpa.spec!.minReplicas).toBeGreaterThanOrEqual(2);
      expect(podSpec(target).containers[0]!.resources?.requests?.cpu).toBeDefined();
      // A count in the manifest would reset the autoscaler's choice at every apply.
      expect(target.spec!.replicas).toBeUndefined();
    }
  });

  it('budgets disruptions only where a pod can go while another serves', () => {
    const budgets = ofKind<IPodDisruptionBudget>(overlay, 'PodDisruptionBudget');
    const covered = budgets.flatMap((pdb) => {
      const pods = selected(overlay, pdb.spec!.selector!);
      expect(pods.length, pdb.metadata!.name).toBe(1);
      expect(fewestReplicas(pods[0]!) - Number(pdb.spec!.minAvailable)).toBeGreaterThanOrEqual(1);
      return pods.map(component);
    });
    expect(covered.sort()).toEqual(SERVICES.filter((s) => s !== 'content').sort());
  });

  it('expects a Secret made outside, holding the keys docs/operations.md tells operators to set', () => {
    expect(objects(overlay).filter((o) => o.kind === 'Secret')).toEqual([]);
    const keys = new Set(
      deployments(overlay)
        .flatMap((d) =>
          podSpec(d).containers.flatMap((c) =>
            (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : [])),
          ),
        )
        .map((ref) => {
          expect(ref.name).toBe(EXTERNAL_SECRET);
          return ref.key;
        }),
    );
    const operations = readFileSync('docs/operations.md', 'utf8');
    for (const key of keys) expect(operations, key).toContain(`--from-literal=${key}=`);
  });
});

describe('the schema check', () => {
  it('rejects a Deployment the API server would reject', () => {
    const [deployment] = readYamlObjects('deploy/base/gateway.yaml');
    const broken = structuredClone(deployment!) as unknown as IDeployment & KubeObject;
    podSpec(broken).containers[0]!.ports![0]!.containerPort = 'http' as unknown as number;
    expect(() => validateAgainstSchema(broken)).toThrow(/containerPort must be integer/);
    delete (broken.spec as { selector?: unknown }).selector;
    expect(() => validateAgainstSchema(broken)).toThrow(/selector/);
  });
});
