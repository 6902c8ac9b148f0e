/**
 * The Kubernetes manifests under deploy/kubernetes (docs/kubernetes.md), checked without a
 * cluster.
 *
 * As written: every kustomization names files that exist, every YAML file is named by one,
 * every object meets its kind's schema and has no field its kind lacks, every setting is one
 * the configuration schema knows, and the repair trigger's query counts what it says on the
 * real `repair_jobs` schema.
 *
 * As rendered by `kubectl kustomize` (base and example overlay; kubectl is required): the
 * same object checks, then what the deployment depends on: one image run per service by its
 * command, probes on the services' real health routes and port, non-root locked-down pods,
 * resources, a disruption budget per service, the api's and the management Services, KEDA
 * scaling on the consumer groups, topics and partitions the code uses, and, in the overlay,
 * each service's configuration passing its own start-up validation.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret, type ISecret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import {
  ScaledObject,
  type IScaledObject,
} from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import type { DataSource } from 'typeorm';
import { checkerGroupOf } from '@bridge/checks';
import { loadConfig } from '@bridge/config';
import { INBOUND_TOPICS, Topics } from '@bridge/contracts';
import { INGEST_GROUP } from '@bridge/ingest';
import { DEFAULT_PORTS, HealthController, MetricsController } from '@bridge/runtime';
import { RepairJobStore } from '@bridge/store';
import { openEmbeddedStore } from '@bridge/store/testing';
// The schema itself, not the package's entry point: the names of the settings are its keys,
// which is how docs/configuration.md is generated from it too.
import { EnvSchema } from '../../libs/config/src/environment-schema';
import {
  KINDS,
  kindKey,
  schemaProblem,
  unknownFieldProblems,
  type FieldCheckInput,
  type ManifestObject,
} from './kubernetes-schemas';
import {
  brokenReference,
  envFileEntries,
  filesUnder,
  kubectlAvailable,
  referencesOf,
  render,
  yamlDocuments,
  type Reference,
} from './kustomize-tree';

const ROOT = join(__dirname, '..', '..');
const TREE = join(ROOT, 'deploy', 'kubernetes');
const BASE = join(TREE, 'base');
const OVERLAY = join(TREE, 'overlays', 'example');
const RENDERED = [BASE, OVERLAY];

/** The services, with the port each listens on when nothing says otherwise. */
const SERVICES = Object.keys(DEFAULT_PORTS) as Array<keyof typeof DEFAULT_PORTS>;
/** The Dockerfile's `USER node`: uid 1000 in the official Node.js images. */
const IMAGE_USER = 1000;
const SETTINGS = new Set(Object.keys(EnvSchema.shape));
const COMMAND = /^dist\/apps\/([a-z-]+)\/main\.js$/;

const rel = (path: string) => relative(ROOT, path);

// ---------------------------------------------------------------------------------------------
// The tree as written
// ---------------------------------------------------------------------------------------------

const kustomizations = filesUnder(TREE, /^kustomization\.ya?ml$/);
const references: Reference[] = kustomizations.flatMap((path) => referencesOf(ROOT, path));
const referenced = (role: Reference['role']) =>
  new Set(references.filter((r) => r.role === role).map((r) => r.path));

interface WrittenDocument {
  label: string;
  object: ManifestObject;
  patch: boolean;
}

/** The objects of every resource and patch file the kustomizations name. */
function writtenDocuments(): WrittenDocument[] {
  const resources = referenced('resource');
  const patches = referenced('patch');
  return filesUnder(TREE, /\.ya?ml$/)
    .filter((file) => resources.has(file) || patches.has(file))
    .flatMap((file) =>
      yamlDocuments(file).map((document, index) => {
        const object = document as ManifestObject;
        return {
          label: `${rel(file)}#${index} ${kindKey(object)} ${object.metadata?.name ?? ''}`,
          object,
          patch: patches.has(file),
        };
      }),
    );
}

const written = writtenDocuments();

// ---------------------------------------------------------------------------------------------
// Rendering (kubectl) and the field check, done once for every test
// ---------------------------------------------------------------------------------------------

const withKubectl = kubectlAvailable();
const renders = new Map<string, ManifestObject[]>();
let fieldProblems = new Map<string, string[]>();

const renderLabel = (dir: string, object: ManifestObject) =>
  `render(${rel(dir)}) ${kindKey(object)} ${object.metadata?.name ?? ''}`;

beforeAll(() => {
  if (withKubectl) for (const dir of RENDERED) renders.set(dir, render(dir));
  const inputs: FieldCheckInput[] = [
    ...written.map(({ label, object, patch }) => ({ label, object, patch })),
    ...[...renders].flatMap(([dir, objects]) =>
      objects.map((object) => ({ label: renderLabel(dir, object), object, patch: false })),
    ),
  ];
  fieldProblems = unknownFieldProblems(ROOT, inputs);
}, 120_000);

describe('deploy/kubernetes as written', () => {
  it('has the base and the example overlay', () => {
    expect(kustomizations.map(rel).sort()).toEqual(
      [join(BASE, 'kustomization.yaml'), join(OVERLAY, 'kustomization.yaml')].map(rel).sort(),
    );
  });

  it('names only files that exist, and directories that are kustomizations', () => {
    expect(references.length).toBeGreaterThan(10);
    expect(references.map(brokenReference).filter((problem) => problem !== null)).toEqual([]);
  });

  it('names every YAML file it holds, so none is left out of a build unseen', () => {
    const named = new Set(references.map((r) => r.path));
    const stray = filesUnder(TREE, /\.ya?ml$/).filter(
      (file) => !/^kustomization\.ya?ml$/.test(file.split('/').pop() ?? '') && !named.has(file),
    );
    expect(stray.map(rel)).toEqual([]);
  });

  it('has a kind the check knows for every object', () => {
    expect(written.length).toBeGreaterThan(10);
    const unknown = written.filter(({ object }) => !KINDS.has(kindKey(object)));
    expect(unknown.map((document) => document.label)).toEqual([]);
  });

  it('has objects that meet their kind schema', () => {
    const problems = written
      .filter((document) => !document.patch)
      .map((document) => ({ document: document.label, problem: schemaProblem(document.object) }))
      .filter(({ problem }) => problem !== null);
    expect(problems).toEqual([]);
  });

  it('has no field a kind does not have, in objects and in patches', () => {
    const problems = written.flatMap(({ label }) =>
      (fieldProblems.get(label) ?? []).map((problem) => `${label}: ${problem}`),
    );
    expect(fieldProblems.get('(field check)') ?? []).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('sets only settings the configuration schema knows', () => {
    const envFiles = references.filter((r) => r.role === 'generator-env');
    expect(envFiles.length).toBeGreaterThanOrEqual(4);
    const unknown = envFiles.flatMap((file) =>
      [...envFileEntries(file.path).keys()]
        .filter((name) => !SETTINGS.has(name))
        .map((name) => `${rel(file.path)}: ${name}`),
    );
    const inContainers = written.flatMap(({ label, object }) =>
      Deployment.is(object)
        ? containersOf(object).flatMap((container) =>
            (container.env ?? [])
              .filter((variable) => !SETTINGS.has(variable.name))
              .map((variable) => `${label}: ${variable.name}`),
          )
        : [],
    );
    expect([...unknown, ...inContainers]).toEqual([]);
  });

  it('keeps secret values out of the repository: every generated secret is a placeholder', () => {
    const secretInputs = references.filter((r) => r.secret === true);
    expect(secretInputs.length).toBeGreaterThan(0);
    const notPlaceholders = secretInputs
      .filter(
        (r) => !/\.example\b/.test(r.written) || !/REPLACE-ME/i.test(readFileSync(r.path, 'utf8')),
      )
      .map((r) => rel(r.path));
    expect(notPlaceholders).toEqual([]);
  });
});

describe('the repair trigger', () => {
  let store: DataSource;

  beforeAll(async () => {
    store = await openEmbeddedStore();
  }, 60_000);
  afterAll(async () => {
    await store.destroy();
  });

  const repairTriggers = written.flatMap(({ object, patch }) =>
    ScaledObject.is(object) && !patch
      ? object.spec.triggers.filter((trigger) => trigger.type === 'postgresql')
      : [],
  );

  it('is one PostgreSQL query', () => {
    expect(repairTriggers).toHaveLength(1);
  });

  it('counts the jobs a worker would take now, on the real repair_jobs schema', async () => {
    const count = async () => {
      const rows = await store.query<Array<Record<string, unknown>>>(
        repairTriggers[0].metadata.query,
      );
      expect(rows).toHaveLength(1);
      return Number(Object.values(rows[0])[0]);
    };
    const jobs = new RepairJobStore(store);
    const created = await jobs.create(
      [1, 2, 3].map((n) => ({
        syncEventId: randomUUID(),
        mismatchType: 'missing_entity',
        strategy: 'resubmit_run',
        priority: 0,
        subjectKeys: [`run:${n}`],
        findingCreatedAt: new Date(),
      })),
    );
    expect(created).toHaveLength(3);
    const counts = [await count()];
    // A job in a worker's hands is still work: the replica holding it must stay.
    const [claimed] = await jobs.claimForPlanning({ holder: 'w', leaseMs: 60_000, limit: 1 });
    counts.push(await count());
    // Waiting for an operator is not work for a worker.
    await jobs.record(claimed.id, 'PENDING', 'w', { state: 'AWAITING_APPROVAL' });
    counts.push(await count());
    const [second, third] = created.filter((job) => job.id !== claimed.id);
    await jobs.record(second.id, 'PENDING', null, { state: 'DONE' });
    counts.push(await count());
    // Not due yet: its retry waits.
    await jobs.record(third.id, 'PENDING', null, { retryInMs: 60_000 });
    counts.push(await count());
    expect(counts).toEqual([3, 3, 2, 1, 0]);
  });
});

// ---------------------------------------------------------------------------------------------
// Rendered
// ---------------------------------------------------------------------------------------------

// Without kubectl the rendered checks cannot run, and a skipped check would pass silently.
describe('the tools the rendered checks need', () => {
  it('has kubectl on PATH to render the Kustomize trees', () => {
    if (!withKubectl) {
      throw new Error(
        'kubectl is not on PATH: install it (it renders with its built-in Kustomize) to run these checks',
      );
    }
  });
});

describe.each(RENDERED.map((dir) => [rel(dir), dir]))('kubectl kustomize %s', (_, dir) => {
  const objects = () => renders.get(dir) ?? [];
  const deployments = () => ofKind(objects(), Deployment.is);
  const isOverlay = dir === OVERLAY;

  it('renders objects that meet their kind schema and have no unknown field', () => {
    expect(objects().length).toBeGreaterThan(15);
    const problems = objects().flatMap((object) => {
      const label = renderLabel(dir, object);
      const schema = schemaProblem(object);
      return [
        ...(schema === null ? [] : [`${label}: ${schema}`]),
        ...(fieldProblems.get(label) ?? []).map((problem) => `${label}: ${problem}`),
      ];
    });
    expect(problems).toEqual([]);
  });

  it('renders each object once', () => {
    const ids = objects().map((object) => `${kindKey(object)} ${object.metadata?.name ?? ''}`);
    expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toEqual([]);
  });

  it('runs each service once, from one image, by its command', () => {
    const services = deployments().map(serviceOf);
    expect([...services].sort()).toEqual([...SERVICES].sort());
    for (const service of SERVICES) {
      expect(existsSync(join(ROOT, 'apps', service, 'src', 'main.ts'))).toBe(true);
    }
    const images = new Set(
      deployments()
        .flatMap(containersOf)
        .map((c) => c.image),
    );
    expect(images.size).toBe(1);
    if (isOverlay) {
      // A tag names what runs: an untagged or `latest` image changes under the Deployment.
      expect([...images][0]).toMatch(/:[\w][\w.-]*$/);
      expect([...images][0]).not.toMatch(/:latest$/);
    }
  });

  it('probes every service on its health routes, at the port that serves them', () => {
    const live = routeOf(HealthController, 'live');
    const ready = routeOf(HealthController, 'ready');
    // Read from the controller, so a moved route fails here rather than in a cluster.
    expect(new Set([live, ready]).size).toBe(2);
    for (const deployment of deployments()) {
      const container = mainContainer(deployment);
      const port = managementPort(deployment, objects());
      const probes = {
        liveness: container.livenessProbe?.httpGet,
        readiness: container.readinessProbe?.httpGet,
        startup: container.startupProbe?.httpGet ?? null,
      };
      expect({ service: serviceOf(deployment), ...probes }).toEqual({
        service: serviceOf(deployment),
        liveness: { path: live, port: expect.anything() },
        readiness: { path: ready, port: expect.anything() },
        startup: probes.startup === null ? null : { path: live, port: expect.anything() },
      });
      for (const probe of [probes.liveness, probes.readiness, probes.startup]) {
        if (probe) expect(portNumber(container, probe.port)).toBe(port);
      }
    }
  });

  it('runs every pod as the image user, without privileges, capabilities or a token', () => {
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(/^USER node$/m);
    for (const deployment of deployments()) {
      const pod = podOf(deployment);
      for (const container of containersOf(deployment)) {
        const security = container.securityContext ?? {};
        expect({
          service: serviceOf(deployment),
          runAsNonRoot: security.runAsNonRoot ?? pod.securityContext?.runAsNonRoot,
          runAsUser: security.runAsUser ?? pod.securityContext?.runAsUser,
          seccomp: (security.seccompProfile ?? pod.securityContext?.seccompProfile)?.type,
          allowPrivilegeEscalation: security.allowPrivilegeEscalation,
          privileged: security.privileged ?? false,
          readOnlyRootFilesystem: security.readOnlyRootFilesystem,
          dropsAll: security.capabilities?.drop?.includes('ALL') ?? false,
          adds: security.capabilities?.add ?? [],
          token: pod.automountServiceAccountToken,
          host: [pod.hostNetwork, pod.hostPID, pod.hostIPC].some(Boolean),
          hostPaths: (pod.volumes ?? []).filter((volume) => volume.hostPath).length,
        }).toEqual({
          service: serviceOf(deployment),
          runAsNonRoot: true,
          runAsUser: IMAGE_USER,
          seccomp: 'RuntimeDefault',
          allowPrivilegeEscalation: false,
          privileged: false,
          readOnlyRootFilesystem: true,
          dropsAll: true,
          adds: [],
          token: false,
          host: false,
          hostPaths: 0,
        });
      }
    }
  });

  it('gives every container CPU and memory requests within its limits', () => {
    for (const deployment of deployments()) {
      for (const container of containersOf(deployment)) {
        const { requests = {}, limits = {} } = container.resources ?? {};
        for (const resource of ['cpu', 'memory']) {
          const request = quantity(requests[resource]);
          const limit = quantity(limits[resource]);
          expect({ service: serviceOf(deployment), resource, request, limit }).toEqual({
            service: serviceOf(deployment),
            resource,
            request: expect.any(Number),
            limit: expect.any(Number),
          });
          expect(request).toBeLessThanOrEqual(limit ?? 0);
        }
      }
    }
  });

  it('gives every service a disruption budget selecting its pods and no others', () => {
    const budgets = ofKind(objects(), PodDisruptionBudget.is);
    for (const deployment of deployments()) {
      const mine = budgets.filter((budget) =>
        selects(budget.spec?.selector?.matchLabels, podLabels(deployment)),
      );
      expect({ service: serviceOf(deployment), budgets: mine.length }).toEqual({
        service: serviceOf(deployment),
        budgets: 1,
      });
      const others = deployments().filter(
        (other) =>
          other !== deployment && selects(mine[0].spec?.selector?.matchLabels, podLabels(other)),
      );
      expect(others.map(serviceOf)).toEqual([]);
      // A budget that allows no eviction would block every node drain.
      expect(mine[0].spec?.maxUnavailable ?? 0).not.toBe(0);
    }
  });

  it('serves the api on HTTP_PORT and every management port to Prometheus', () => {
    const services = ofKind(objects(), Service.is);
    const api = deployments().find((d) => serviceOf(d) === 'api');
    if (!api) throw new Error('no api Deployment');
    const apiServices = services.filter((s) => selects(s.spec?.selector, podLabels(api)));
    const httpPort = settingsOf(api, objects()).HTTP_PORT ?? DEFAULT_PORTS.api;
    const apiService = apiServices.find((s) =>
      (s.spec?.ports ?? []).some(
        (port) => portNumber(mainContainer(api), port.targetPort ?? port.port) === httpPort,
      ),
    );
    expect(apiService).toBeDefined();
    // The api's Service reaches only the api.
    const reached = deployments().filter((d) => selects(apiService?.spec?.selector, podLabels(d)));
    expect(reached.map(serviceOf)).toEqual(['api']);

    const management = services.filter((s) =>
      deployments().every((d) => selects(s.spec?.selector, podLabels(d))),
    );
    expect(management).toHaveLength(1);
    const metricsPath = routeOf(MetricsController, 'scrape');
    for (const deployment of deployments()) {
      const port = managementPort(deployment, objects());
      const targets = (management[0].spec?.ports ?? []).map((p) =>
        portNumber(mainContainer(deployment), p.targetPort ?? p.port),
      );
      const annotations = deployment.spec?.template.metadata?.annotations ?? {};
      expect({ service: serviceOf(deployment), targets, annotations }).toEqual({
        service: serviceOf(deployment),
        targets: [port],
        annotations: expect.objectContaining({
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(port),
          'prometheus.io/path': metricsPath,
        }) as unknown,
      });
    }
  });

  it('sets only settings the configuration schema knows, from objects that exist', () => {
    const problems: string[] = [];
    const missingSecrets = new Set<string>();
    for (const deployment of deployments()) {
      const service = serviceOf(deployment);
      for (const container of containersOf(deployment)) {
        for (const variable of container.env ?? []) {
          if (!SETTINGS.has(variable.name)) problems.push(`${service}: env ${variable.name}`);
          if (variable.valueFrom) problems.push(`${service}: ${variable.name} from valueFrom`);
        }
        for (const source of container.envFrom ?? []) {
          if (source.prefix) problems.push(`${service}: envFrom with a prefix`);
          const map = source.configMapRef?.name;
          const secret = source.secretRef?.name;
          if (map !== undefined) {
            const found = ofKind(objects(), ConfigMap.is).find((m) => m.metadata?.name === map);
            if (!found) problems.push(`${service}: ConfigMap ${map} is not rendered`);
            for (const key of Object.keys(found?.data ?? {})) {
              if (!SETTINGS.has(key)) problems.push(`ConfigMap ${map}: ${key}`);
            }
          }
          if (secret !== undefined) {
            const found = ofKind(objects(), Secret.is).find((s) => s.metadata?.name === secret);
            if (found) {
              for (const key of Object.keys({ ...found.data, ...found.stringData })) {
                if (!SETTINGS.has(key)) problems.push(`Secret ${secret}: ${key}`);
              }
            } else if (isOverlay) {
              problems.push(`${service}: Secret ${secret} is not rendered`);
            } else {
              missingSecrets.add(secret);
            }
          }
        }
      }
      for (const volume of podOf(deployment).volumes ?? []) {
        const name = volume.secret?.secretName;
        if (
          name !== undefined &&
          !objects().some((o) => Secret.is(o) && o.metadata?.name === name)
        ) {
          if (isOverlay) problems.push(`${service}: Secret ${name} (volume) is not rendered`);
          else missingSecrets.add(name);
        }
      }
    }
    expect(problems).toEqual([]);
    // The base creates no Secret: those it expects must be the ones the documentation says to
    // create (docs/kubernetes.md, "Secrets").
    const guide = readFileSync(join(ROOT, 'docs', 'kubernetes.md'), 'utf8');
    expect([...missingSecrets].filter((name) => !guide.includes(`\`${name}\``))).toEqual([]);
  });

  it('scales ingest and checker on the consumer groups and topics the code uses', () => {
    const expected: Record<string, { group: string; topics: string[] }> = {
      ingest: { group: INGEST_GROUP, topics: [...INBOUND_TOPICS] },
      checker: {
        group: checkerGroupOf(Topics.BridgeInternalChecks),
        topics: [Topics.BridgeInternalChecks],
      },
    };
    for (const [service, { group, topics }] of Object.entries(expected)) {
      const { scaled, target } = scaledObjectOf(service, dir);
      const settings = settingsOf(target, objects());
      const triggers = scaled.spec.triggers;
      expect(triggers.map((trigger) => trigger.type)).toEqual(topics.map(() => 'kafka'));
      expect(triggers.map((trigger) => trigger.metadata)).toEqual(
        topics.map((topic) => ({
          bootstrapServers: (settings.KAFKA_BROKERS ?? []).join(','),
          consumerGroup: `${settings.CONSUMER_GROUP_PREFIX}-${group}`,
          topic,
          lagThreshold: expect.stringMatching(/^[1-9]\d*$/),
          // The consumers start a new group from the earliest retained event; KEDA must count
          // the lag the same way.
          offsetResetPolicy: 'earliest',
        })),
      );
      // More consumers than a topic's partitions would sit idle.
      expect(scaled.spec.maxReplicaCount).toBeLessThanOrEqual(settings.KAFKA_TOPIC_PARTITIONS);
      expectScalingBounds(scaled);
    }
  });

  it('scales repair on PostgreSQL through a TriggerAuthentication with the database URL', () => {
    const { scaled } = scaledObjectOf('repair', dir);
    expectScalingBounds(scaled);
    const [trigger, ...others] = scaled.spec.triggers;
    expect(others).toEqual([]);
    expect(trigger.type).toBe('postgresql');
    expect(Number(trigger.metadata.targetQueryValue)).toBeGreaterThan(0);
    // Credentials only through the TriggerAuthentication, never in the trigger.
    expect(Object.keys(trigger.metadata).sort()).toEqual(['query', 'targetQueryValue']);
    const auth = ofKind(objects(), TriggerAuthentication.is).find(
      (a) => a.metadata?.name === trigger.authenticationRef?.name,
    );
    expect(auth?.spec?.secretTargetRef).toEqual([
      { parameter: 'connection', name: expect.any(String), key: 'DATABASE_URL' },
    ]);
    const secretName = auth?.spec?.secretTargetRef?.[0].name ?? '';
    const secret = ofKind(objects(), Secret.is).find((s) => s.metadata?.name === secretName);
    if (isOverlay) expect(Object.keys(secret?.data ?? {})).toContain('DATABASE_URL');
    // The same Secret the services read their DATABASE_URL from.
    const secretsRead = containersOf(scaledObjectOf('repair', dir).target).flatMap((c) =>
      (c.envFrom ?? []).map((source) => source.secretRef?.name),
    );
    expect(secretsRead).toContain(secretName);
  });

  it('leaves the replicas of scaled Deployments to KEDA', () => {
    const scaledTargets = ofKind(objects(), ScaledObject.is).map(
      (scaled) => scaled.spec.scaleTargetRef.name,
    );
    const replicas = deployments()
      .filter((d) => scaledTargets.includes(d.metadata?.name ?? ''))
      .map((d) => ({ service: serviceOf(d), replicas: d.spec?.replicas }));
    expect(replicas.length).toBe(3);
    expect(replicas.filter((r) => r.replicas !== undefined)).toEqual([]);
  });

  if (isOverlay) {
    it('places every object in its namespace, under the restricted Pod Security Standard', () => {
      const namespaces = ofKind(objects(), Namespace.is);
      expect(namespaces).toHaveLength(1);
      const namespace = namespaces[0].metadata?.name;
      expect(namespaces[0].metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe(
        'restricted',
      );
      const outside = objects()
        .filter((object) => !Namespace.is(object) && object.metadata?.namespace !== namespace)
        .map((object) => renderLabel(dir, object));
      expect(outside).toEqual([]);
    });

    it('gives every service a configuration that passes its start-up validation', () => {
      for (const deployment of deployments()) {
        const service = serviceOf(deployment);
        const mounted = mountFiles(deployment, objects());
        try {
          const config = loadConfig(mounted.env);
          if (service === 'api') {
            // The api refuses to start without a credential to check tokens against.
            expect(config.api.tokens.length > 0 || config.api.jwt !== null).toBe(true);
          }
        } catch (error) {
          throw new Error(`${service}: ${(error as Error).message}`, { cause: error });
        } finally {
          mounted.remove();
        }
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** The objects of one kind, typed as it (a guard's `filter` would keep the wider type). */
function ofKind<T>(objects: readonly ManifestObject[], is: (value: unknown) => value is T): T[] {
  return objects.flatMap((object) => (is(object) ? [object] : []));
}

function podOf(deployment: IDeployment) {
  const pod = deployment.spec?.template.spec;
  if (!pod) throw new Error(`${deployment.metadata?.name ?? '?'} has no pod template`);
  return pod;
}

function containersOf(deployment: IDeployment): IContainer[] {
  return deployment.spec?.template.spec?.containers ?? [];
}

function mainContainer(deployment: IDeployment): IContainer {
  const containers = containersOf(deployment);
  expect(containers).toHaveLength(1);
  return containers[0];
}

function podLabels(deployment: IDeployment): Record<string, string> {
  return deployment.spec?.template.metadata?.labels ?? {};
}

/** The service a Deployment runs, from its command (`node … dist/apps/<service>/main.js`). */
function serviceOf(deployment: IDeployment): string {
  const command = mainContainer(deployment).command ?? [];
  const script = command.map((arg) => COMMAND.exec(arg)?.[1]).find(Boolean);
  expect({ command, node: command[0], script }).toEqual({
    command,
    node: 'node',
    script: expect.any(String),
  });
  // Nothing after the script: the services take no arguments.
  expect(COMMAND.test(command[command.length - 1])).toBe(true);
  return script ?? '';
}

/** Whether a selector's labels all appear among `labels` (an empty selector selects nothing). */
function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string>,
): boolean {
  const pairs = Object.entries(selector ?? {});
  return pairs.length > 0 && pairs.every(([key, value]) => labels[key] === value);
}

/** The number of a port given by name or number, as the container declares it. */
function portNumber(container: IContainer, port: string | number): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((declared) => declared.name === port)?.containerPort;
}

/** A controller method's route, as Nest maps it. */
function routeOf(controller: abstract new (...args: never[]) => object, method: string): string {
  const reflector = new Reflector();
  const base = reflector.get<string>(PATH_METADATA, controller);
  const handler = (controller.prototype as Record<string, () => unknown>)[method];
  const path = reflector.get<string>(PATH_METADATA, handler);
  return `/${[base, path].filter((part) => part && part !== '/').join('/')}`;
}

/** The environment a Deployment's container gets: its ConfigMaps, its Secrets, its own env. */
function environmentOf(
  deployment: IDeployment,
  objects: readonly ManifestObject[],
): Record<string, string> {
  const env: Record<string, string> = {};
  const container = mainContainer(deployment);
  for (const source of container.envFrom ?? []) {
    const map = ofKind(objects, ConfigMap.is).find(
      (m: IConfigMap) => m.metadata?.name === source.configMapRef?.name,
    );
    Object.assign(env, map?.data ?? {});
    const secret = ofKind(objects, Secret.is).find(
      (s: ISecret) => s.metadata?.name === source.secretRef?.name,
    );
    Object.assign(env, decodedSecret(secret));
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
  }
  return env;
}

function decodedSecret(secret: ISecret | undefined): Record<string, string> {
  return {
    ...Object.fromEntries(
      Object.entries(secret?.data ?? {}).map(([key, value]) => [
        key,
        Buffer.from(value, 'base64').toString('utf8'),
      ]),
    ),
    ...secret?.stringData,
  };
}

/** A Deployment's settings as its service reads them, defaults included. */
function settingsOf(deployment: IDeployment, objects: readonly ManifestObject[]) {
  return EnvSchema.parse(environmentOf(deployment, objects));
}

/** Where a service serves /health and /metrics: MANAGEMENT_PORT, else its HTTP port. */
function managementPort(deployment: IDeployment, objects: readonly ManifestObject[]): number {
  const settings = settingsOf(deployment, objects);
  const service = serviceOf(deployment) as keyof typeof DEFAULT_PORTS;
  return settings.MANAGEMENT_PORT ?? settings.HTTP_PORT ?? DEFAULT_PORTS[service];
}

/** The one ScaledObject of a service in a render, and the Deployment it scales. */
function scaledObjectOf(service: string, dir: string) {
  const objects = renders.get(dir) ?? [];
  const target = ofKind(objects, Deployment.is).find(
    (deployment) => serviceOf(deployment) === service,
  );
  const scaled = ofKind(objects, ScaledObject.is).filter(
    (candidate) => candidate.spec.scaleTargetRef.name === target?.metadata?.name,
  );
  expect({ service, deployment: target !== undefined, scaledObjects: scaled.length }).toEqual({
    service,
    deployment: true,
    scaledObjects: 1,
  });
  expect(scaled[0].spec.scaleTargetRef.kind ?? 'Deployment').toBe('Deployment');
  return { scaled: scaled[0], target: target as IDeployment };
}

/**
 * Bounds every scaled service keeps: one replica at least, since each also does work no queue
 * shows (a joined consumer group, re-checks, the outbox relay, turning findings into jobs).
 */
function expectScalingBounds(scaled: IScaledObject): void {
  const { minReplicaCount, maxReplicaCount } = scaled.spec;
  expect(minReplicaCount).toBeGreaterThanOrEqual(1);
  expect(maxReplicaCount).toBeGreaterThanOrEqual(minReplicaCount ?? 1);
}

/** A Kubernetes quantity as a number (cores, bytes), or undefined. */
function quantity(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)(m|k|Ki|M|Mi|G|Gi)?$/.exec(value);
  if (!match) return undefined;
  const units: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    Ki: 2 ** 10,
    M: 1e6,
    Mi: 2 ** 20,
    G: 1e9,
    Gi: 2 ** 30,
  };
  return Number(match[1]) * (match[2] ? units[match[2]] : 1);
}

/**
 * The environment of a Deployment's container with its ConfigMap and Secret volumes written to
 * a temporary directory, and every mount path in the environment and in those files pointed
 * there: what `loadConfig` reads at start-up (the component manifest and the credential files
 * it names) is then on disk as the pod would see it.
 */
function mountFiles(deployment: IDeployment, objects: readonly ManifestObject[]) {
  const scratch = mkdtempSync(join(tmpdir(), 'bridge-k8s-'));
  const container = mainContainer(deployment);
  const volumes = podOf(deployment).volumes ?? [];
  const mounts = (container.volumeMounts ?? []).map((mount) => ({
    path: mount.mountPath,
    local: join(scratch, mount.mountPath),
    volume: volumes.find((volume) => volume.name === mount.name),
  }));
  const repoint = (text: string) =>
    mounts.reduce((result, mount) => result.split(mount.path).join(mount.local), text);
  for (const mount of mounts) {
    mkdirSync(mount.local, { recursive: true });
    const map = ofKind(objects, ConfigMap.is).find(
      (m) => m.metadata?.name === mount.volume?.configMap?.name,
    );
    const secret = ofKind(objects, Secret.is).find(
      (s) => s.metadata?.name === mount.volume?.secret?.secretName,
    );
    const files = { ...map?.data, ...decodedSecret(secret) };
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(join(mount.local, name), repoint(content));
    }
  }
  const env = Object.fromEntries(
    Object.entries(environmentOf(deployment, objects)).map(([key, value]) => [key, repoint(value)]),
  );
  return { env, remove: () => rmSync(scratch, { recursive: true, force: true }) };
}
