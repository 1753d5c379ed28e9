// The chart (charts/prasar) installed for real: every scenario of ci/ with `helm install --wait` on
// the local control plane of deploy/k8s (etcd, kube-apiserver, controller-manager, scheduler; kwok
// plays three zones of nodes, so pods are scheduled and turn Ready, Job pods Succeeded, but no
// container runs). Everything is checked through the Kubernetes API: the hooks' order, readiness,
// zone spread, a rolling upgrade against the PodDisruptionBudgets, rollback, a clean uninstall, and
// values that must be refused before anything is created.
//
// The control plane is started when none runs and stopped afterwards; one started by
// `npm run k8s:up` is used and left running (its default node pool is resized for the suite).
import * as k8s from '@kubernetes/client-node';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  CHART,
  Cluster,
  Kube,
  Recording,
  clusterDown,
  clusterUp,
  eventually,
  exec,
  helmBinary,
  isReady,
} from './support';

const RELEASE = 'prasar';
const INSTANCE = `app.kubernetes.io/instance=${RELEASE}`;
const SCENARIOS = readdirSync(join(CHART, 'ci'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length))
  .sort();
/** The scenario upgraded and rolled back: the production-like one (3 replicas, hard zone spread). */
const ROLLED = 'full';
const NEW_TAG = '0.1.1-k8s-test';
const ZONE = 'topology.kubernetes.io/zone';
const PREREQUISITE = 'prasar.io/test-prerequisite';
const namespaceOf = (scenario: string) => `chart-${scenario}`;
const scenarioFile = (scenario: string) => join(CHART, 'ci', `${scenario}.yaml`);
const MINUTE = 60_000;
// Each helm command below may wait minutes (hooks run one after another, pods take kwok's delays).
jest.setTimeout(10 * MINUTE);

interface Installed {
  scenario: string;
  namespace: string;
  install: { code: number | null; stdout: string; stderr: string };
  jobs: Recording<k8s.V1Job>;
  deployments: Recording<k8s.V1Deployment>;
  /** The release's objects as rendered by Helm (helm get manifest / hooks). */
  manifest: k8s.KubernetesObject[];
  hooks: k8s.KubernetesObject[];
}

describe('charts/prasar on a Kubernetes control plane', () => {
  let cluster: Cluster;
  let kube: Kube;
  let helm: string;
  const installed = new Map<string, Installed>();

  const helmRun = (args: string[]) => exec(helm, [...args, '--kubeconfig', cluster.kubeconfig]);

  /**
   * What the scenarios expect to exist beforehand, as in a real cluster: the Secrets they name
   * (external-secrets style), the Prometheus Operator's CRDs and a PriorityClass. Labelled, so the
   * uninstall check can tell them from the release's objects.
   */
  async function createPrerequisites(namespace: string): Promise<void> {
    const databases = ['intake', 'approval', 'scheduler', 'publisher', 'analytics'];
    const url = (s: string) => `postgresql://prasar_${s}:pw@postgres.postgres:5432/prasar_${s}`;
    const secrets: Record<string, Record<string, string>> = {
      'prasar-databases': Object.fromEntries(
        databases.flatMap((s) => [
          [`${s}-url`, url(s)],
          [`${s}-owner-url`, url(s)],
        ]),
      ),
      'prasar-intake-database': { url: url('intake') },
      'prasar-scheduler-database': { DATABASE_URL: url('scheduler') },
      'prasar-publisher-secrets': { 'credentials-keys': 'k1:AAAA', 'whatsapp-app-secret': 'secret' },
      'prasar-platform-sim': { 'admin-token': 'token' },
    };
    for (const [name, stringData] of Object.entries(secrets)) {
      await kube.core.createNamespacedSecret({
        namespace,
        body: { metadata: { name, labels: { [PREREQUISITE]: 'true' } }, stringData },
      });
    }
  }

  async function createNamespace(namespace: string): Promise<void> {
    await kube.core.createNamespace({
      body: {
        metadata: {
          name: namespace,
          labels: {
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'latest',
          },
        },
      },
    });
    // The controller-manager gives every namespace its default ServiceAccount and root CA.
    await eventually(`namespace ${namespace} initialised`, async () => {
      await kube.core.readNamespacedServiceAccount({ namespace, name: 'default' });
      return true;
    });
  }

  async function deleteNamespace(namespace: string): Promise<void> {
    try {
      await kube.core.deleteNamespace({ name: namespace });
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
    await eventually(
      `namespace ${namespace} gone`,
      async () => {
        try {
          await kube.core.readNamespace({ name: namespace });
          return false;
        } catch (e) {
          return (e as { code?: number }).code === 404;
        }
      },
      3 * MINUTE,
    );
  }

  /** CRDs of the Prometheus Operator kinds the chart renders (full.yaml), schema left open. */
  async function createMonitoringCrds(): Promise<void> {
    for (const [kind, plural] of [
      ['ServiceMonitor', 'servicemonitors'],
      ['PrometheusRule', 'prometheusrules'],
    ]) {
      const name = `${plural}.monitoring.coreos.com`;
      try {
        await kube.extensions.readCustomResourceDefinition({ name });
        continue;
      } catch {
        // not there yet
      }
      await kube.extensions.createCustomResourceDefinition({
        body: {
          metadata: { name, labels: { [PREREQUISITE]: 'true' } },
          spec: {
            group: 'monitoring.coreos.com',
            scope: 'Namespaced',
            names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
            versions: [
              {
                name: 'v1',
                served: true,
                storage: true,
                schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
              },
            ],
          },
        },
      });
    }
    await eventually('the monitoring CRDs served', async () => {
      await kube.get('/apis/monitoring.coreos.com/v1');
      return true;
    });
  }

  async function createPriorityClass(): Promise<void> {
    try {
      await kube.scheduling.createPriorityClass({
        body: { metadata: { name: 'prasar-critical', labels: { [PREREQUISITE]: 'true' } }, value: 100000 },
      });
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e;
    }
  }

  async function install(scenario: string): Promise<Installed> {
    const namespace = namespaceOf(scenario);
    await deleteNamespace(namespace); // left over by an interrupted run on a reused control plane
    await createNamespace(namespace);
    await createPrerequisites(namespace);
    const jobs = await kube.record<k8s.V1Job>(`/apis/batch/v1/namespaces/${namespace}/jobs`);
    const deployments = await kube.record<k8s.V1Deployment>(
      `/apis/apps/v1/namespaces/${namespace}/deployments`,
    );
    // Helm waits for hook Jobs by itself; --wait-for-jobs would add the chart's other Jobs (none).
    const result = await helmRun([
      'install',
      RELEASE,
      CHART,
      '--namespace',
      namespace,
      '-f',
      scenarioFile(scenario),
      '--wait',
      '--wait-for-jobs',
      '--timeout',
      '8m',
    ]);
    jobs.stop();
    deployments.stop();
    const manifest = k8s.loadAllYaml(
      (await helmRun(['get', 'manifest', RELEASE, '--namespace', namespace])).stdout,
    ) as k8s.KubernetesObject[];
    const hooks = k8s.loadAllYaml(
      (await helmRun(['get', 'hooks', RELEASE, '--namespace', namespace])).stdout,
    ) as k8s.KubernetesObject[];
    return {
      scenario,
      namespace,
      install: result,
      jobs,
      deployments,
      manifest: manifest.filter(Boolean),
      hooks: hooks.filter(Boolean),
    };
  }

  const ofKind = (objects: k8s.KubernetesObject[], kind: string) =>
    objects.filter((o) => o.kind === kind).map((o) => o.metadata!.name!);

  async function releaseDeployments(namespace: string): Promise<k8s.V1Deployment[]> {
    return (await kube.apps.listNamespacedDeployment({ namespace, labelSelector: INSTANCE })).items;
  }

  async function podsOf(namespace: string, deployment: k8s.V1Deployment): Promise<k8s.V1Pod[]> {
    const selector = Object.entries(deployment.spec!.selector.matchLabels!)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    return (await kube.core.listNamespacedPod({ namespace, labelSelector: selector })).items;
  }

  /** Replicas a Deployment should have: its own, raised to its HPA's minimum when it has one. */
  async function wantedReplicas(namespace: string, deployment: k8s.V1Deployment): Promise<number> {
    const hpas = await kube.kc
      .makeApiClient(k8s.AutoscalingV2Api)
      .listNamespacedHorizontalPodAutoscaler({ namespace });
    const hpa = hpas.items.find((h) => h.spec!.scaleTargetRef.name === deployment.metadata!.name);
    return hpa
      ? Math.max(hpa.spec!.minReplicas ?? 1, deployment.spec!.replicas ?? 1)
      : deployment.spec!.replicas!;
  }

  /** Every Deployment Available, scaled to what it should run, every replica Ready. */
  async function allRolledOut(namespace: string, expected: string[]): Promise<k8s.V1Deployment[]> {
    return eventually(
      `every Deployment of ${namespace} Available and Ready`,
      async () => {
        const deployments = await releaseDeployments(namespace);
        if (
          deployments
            .map((d) => d.metadata!.name)
            .sort()
            .join() !== [...expected].sort().join()
        )
          return false;
        for (const d of deployments) {
          const available = d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True');
          const wanted = await wantedReplicas(namespace, d);
          const pods = (await podsOf(namespace, d)).filter(isReady);
          if (
            !available ||
            d.status?.observedGeneration !== d.metadata!.generation ||
            d.spec!.replicas !== wanted ||
            d.status?.readyReplicas !== wanted ||
            d.status?.updatedReplicas !== wanted ||
            (d.status?.replicas ?? 0) !== wanted ||
            pods.length !== wanted
          )
            return false;
        }
        return deployments;
      },
      4 * MINUTE,
    );
  }

  beforeAll(async () => {
    [cluster, helm] = await Promise.all([clusterUp(3, 'standard-8'), helmBinary()]);
    kube = new Kube(cluster.kubeconfig);
    await createMonitoringCrds();
    await createPriorityClass();
    // The scenarios install side by side, each in its own restricted namespace.
    const results = await Promise.all(SCENARIOS.map(install));
    for (const r of results) installed.set(r.scenario, r);
  }, 30 * MINUTE);

  afterAll(async () => {
    if (!cluster) return;
    kube.close();
    if (cluster.started) {
      await clusterDown();
      return;
    }
    for (const scenario of [...SCENARIOS, 'refused']) await deleteNamespace(namespaceOf(scenario));
    await kube.scheduling.deletePriorityClass({ name: 'prasar-critical' }).catch(() => undefined);
  }, 10 * MINUTE);

  const get = (scenario: string) => {
    const r = installed.get(scenario);
    if (!r) throw new Error(`${scenario} was not installed`);
    return r;
  };

  describe.each(SCENARIOS)('helm install --wait with ci/%s.yaml', (scenario) => {
    test('succeeds into a namespace enforcing the restricted Pod Security Standard', async () => {
      const r = get(scenario);
      expect({ code: r.install.code, stderr: r.install.stderr }).toEqual({ code: 0, stderr: '' });
      const ns = await kube.core.readNamespace({ name: r.namespace });
      expect(ns.metadata!.labels!['pod-security.kubernetes.io/enforce']).toBe('restricted');
      const release = await helmRun(['status', RELEASE, '--namespace', r.namespace, '-o', 'json']);
      expect(JSON.parse(release.stdout).info.status).toBe('deployed');
    });

    test('every Deployment is Available with all its replicas Ready', async () => {
      const r = get(scenario);
      const expected = ofKind(r.manifest, 'Deployment');
      expect(expected.length).toBeGreaterThan(0);
      const deployments = await allRolledOut(r.namespace, expected);
      for (const d of deployments) {
        const pods = (await podsOf(r.namespace, d)).filter(isReady);
        expect(pods.every((p) => p.spec!.nodeName)).toBe(true);
        expect(pods).toHaveLength(d.spec!.replicas!);
      }
    });

    test('the migration Jobs completed before any Deployment was created, then the topic Job', async () => {
      const r = get(scenario);
      const hookJobs = ofKind(r.hooks, 'Job');
      const migrations = hookJobs.filter((n) => n.endsWith('-migrate'));
      const topics = hookJobs.filter((n) => n.endsWith('-topics'));
      expect(migrations.length).toBeGreaterThan(0);
      expect(topics).toHaveLength(1);
      // The first sight of each Job in the Complete state, and of each Deployment at all.
      const completed = new Map<string, k8s.V1Job>();
      const created = new Map<string, k8s.V1Job>();
      for (const { obj } of r.jobs.events) {
        const name = obj.metadata!.name!;
        if (!created.has(name)) created.set(name, obj);
        const done = obj.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True');
        if (done && !completed.has(name)) completed.set(name, obj);
      }
      const deployments = new Map<string, k8s.V1Deployment>();
      for (const { type, obj } of r.deployments.events) {
        if (type === 'ADDED' && !deployments.has(obj.metadata!.name!))
          deployments.set(obj.metadata!.name!, obj);
      }
      expect([...completed.keys()].sort()).toEqual([...hookJobs].sort());
      expect([...deployments.keys()].sort()).toEqual(ofKind(r.manifest, 'Deployment').sort());
      for (const job of completed.values()) {
        expect(job.status!.succeeded).toBe(1);
        expect(job.status!.failed ?? 0).toBe(0);
      }
      // One etcd orders every write: resourceVersions compare here (a single-member cluster), and
      // the timestamps (to the second) must agree.
      const rv = (o: k8s.KubernetesObject) => Number(o.metadata!.resourceVersion);
      const ts = (d: Date | string | undefined) => new Date(d!).getTime();
      const lastMigration = Math.max(...migrations.map((n) => rv(completed.get(n)!)));
      const lastMigrationTime = Math.max(
        ...migrations.map((n) => ts(completed.get(n)!.status!.completionTime)),
      );
      const topicJob = topics[0];
      expect(rv(created.get(topicJob)!)).toBeGreaterThan(lastMigration);
      expect(ts(created.get(topicJob)!.metadata!.creationTimestamp)).toBeGreaterThanOrEqual(
        lastMigrationTime,
      );
      const hooksDone = rv(completed.get(topicJob)!);
      const hooksDoneTime = ts(completed.get(topicJob)!.status!.completionTime);
      for (const d of deployments.values()) {
        expect(rv(d)).toBeGreaterThan(hooksDone);
        expect(ts(d.metadata!.creationTimestamp)).toBeGreaterThanOrEqual(hooksDoneTime);
      }
      // The same order in the namespace's Events: each Job's Completed event, each Deployment's first scaling.
      const events = (await kube.core.listNamespacedEvent({ namespace: r.namespace })).items;
      const when = (e: k8s.CoreV1Event) => ts(e.eventTime ?? e.lastTimestamp ?? e.firstTimestamp);
      const jobCompleted = events.filter((e) => e.involvedObject.kind === 'Job' && e.reason === 'Completed');
      expect(jobCompleted.map((e) => e.involvedObject.name).sort()).toEqual([...hookJobs].sort());
      const firstScaling = Math.min(
        ...events
          .filter((e) => e.involvedObject.kind === 'Deployment' && e.reason === 'ScalingReplicaSet')
          .map(when),
      );
      expect(firstScaling).toBeGreaterThanOrEqual(Math.max(...jobCompleted.map(when)));
      // hook-delete-policy hook-succeeded: the Jobs themselves are gone once all hooks succeeded.
      const left = await kube.batch.listNamespacedJob({ namespace: r.namespace });
      expect(left.items.map((j) => j.metadata!.name)).toEqual([]);
    });

    test('the replicas of each Deployment are spread over the three zones by the scheduler', async () => {
      const r = get(scenario);
      const nodes = (await kube.core.listNode()).items;
      const zoneOf = new Map(nodes.map((n) => [n.metadata!.name!, n.metadata!.labels![ZONE]]));
      const zones = [...new Set(zoneOf.values())];
      expect(zones.sort()).toEqual(['zone-a', 'zone-b', 'zone-c']);
      for (const d of await allRolledOut(r.namespace, ofKind(r.manifest, 'Deployment'))) {
        const constraint = d.spec!.template.spec!.topologySpreadConstraints!.find(
          (c) => c.topologyKey === ZONE,
        );
        expect(constraint).toMatchObject({ maxSkew: 1 });
        const perZone = new Map(zones.map((z) => [z, 0]));
        for (const pod of (await podsOf(r.namespace, d)).filter(isReady)) {
          const zone = zoneOf.get(pod.spec!.nodeName!)!;
          perZone.set(zone, perZone.get(zone)! + 1);
        }
        const counts = [...perZone.values()];
        const replicas = d.spec!.replicas!;
        expect({ deployment: d.metadata!.name, skew: Math.max(...counts) - Math.min(...counts) }).toEqual({
          deployment: d.metadata!.name,
          skew: replicas % zones.length === 0 ? 0 : 1,
        });
        expect(counts.filter((c) => c > 0)).toHaveLength(Math.min(replicas, zones.length));
      }
    });
  });

  describe(`helm upgrade and rollback of ci/${ROLLED}.yaml`, () => {
    /** Per component: the fewest pods that were Ready and not terminating at any moment. */
    async function watchHealthy(namespace: string) {
      const pods = new Map<string, k8s.V1Pod>();
      const fewest = new Map<string, number>();
      const images = new Map<string, Set<string>>();
      const component = (p: k8s.V1Pod) => p.metadata!.labels!['app.kubernetes.io/component'];
      const tally = () => {
        const healthy = new Map<string, number>();
        for (const p of pods.values()) {
          if (!healthy.has(component(p))) healthy.set(component(p), 0);
          if (isReady(p)) healthy.set(component(p), healthy.get(component(p))! + 1);
        }
        for (const [c, n] of healthy) fewest.set(c, Math.min(fewest.get(c) ?? n, n));
      };
      const seen = (pod: k8s.V1Pod) => {
        if (pod.metadata!.ownerReferences?.[0]?.kind !== 'ReplicaSet') return; // hook Job pods
        pods.set(pod.metadata!.uid!, pod);
        const set = images.get(component(pod)) ?? new Set();
        set.add(pod.spec!.containers[0].image!);
        images.set(component(pod), set);
      };
      // The state before, then every change from there: a tally over a half-read list would
      // count pods missing that are merely not read yet.
      const start = await kube.core.listNamespacedPod({ namespace });
      for (const pod of start.items) seen(pod);
      tally();
      const recording = await kube.record<k8s.V1Pod>(
        `/api/v1/namespaces/${namespace}/pods`,
        (type, pod) => {
          if (type === 'DELETED') pods.delete(pod.metadata!.uid!);
          else seen(pod);
          tally();
        },
        start.metadata!.resourceVersion,
      );
      return { recording, fewest, images };
    }

    /** Components whose Ready pods fell below what their budget allows, with the numbers. */
    const belowBudget = (fewest: Map<string, number>, minimum: Map<string, number>) =>
      [...minimum]
        .map(([component, least]) => ({ component, least, fewest: fewest.get(component) }))
        .filter((c) => c.fewest === undefined || c.fewest < c.least);

    async function budgets(namespace: string): Promise<Map<string, number>> {
      // The least healthy pods each PodDisruptionBudget allows, for the replicas running now.
      const out = new Map<string, number>();
      const pdbs = (await kube.policy.listNamespacedPodDisruptionBudget({ namespace })).items;
      for (const d of await releaseDeployments(namespace)) {
        const component = d.metadata!.labels!['app.kubernetes.io/component'];
        const pdb = pdbs.find(
          (p) => p.spec!.selector!.matchLabels!['app.kubernetes.io/component'] === component,
        );
        expect(pdb).toBeDefined();
        expect(typeof pdb!.spec!.maxUnavailable).toBe('number');
        out.set(component, d.spec!.replicas! - (pdb!.spec!.maxUnavailable as number));
      }
      return out;
    }

    const imagesOf = async (namespace: string) =>
      Object.fromEntries(
        (await releaseDeployments(namespace)).map((d) => [
          d.metadata!.name!,
          d.spec!.template.spec!.containers.map((c) => c.image!),
        ]),
      );

    let before: Record<string, string[]>;

    test('a new image tag rolls every Deployment, never below its PodDisruptionBudget', async () => {
      const r = get(ROLLED);
      const deployments = await allRolledOut(r.namespace, ofKind(r.manifest, 'Deployment'));
      before = await imagesOf(r.namespace);
      const minimum = await budgets(r.namespace);
      const generations = new Map(deployments.map((d) => [d.metadata!.name!, d.metadata!.generation!]));
      const watch = await watchHealthy(r.namespace);
      const upgrade = await helmRun([
        'upgrade',
        RELEASE,
        CHART,
        '--namespace',
        r.namespace,
        '-f',
        scenarioFile(ROLLED),
        '--set',
        `image.tag=${NEW_TAG}`,
        '--wait',
        '--timeout',
        '8m',
      ]);
      expect({ code: upgrade.code, stderr: upgrade.stderr }).toEqual({ code: 0, stderr: '' });
      const after = await allRolledOut(r.namespace, ofKind(r.manifest, 'Deployment'));
      watch.recording.stop();
      expect(watch.recording.errors).toEqual([]);
      expect(belowBudget(watch.fewest, minimum)).toEqual([]);
      for (const d of after) {
        const component = d.metadata!.labels!['app.kubernetes.io/component'];
        expect(d.metadata!.generation).toBeGreaterThan(generations.get(d.metadata!.name!)!);
        expect(d.spec!.template.spec!.containers[0].image).toContain(`:${NEW_TAG}`);
        const pods = (await podsOf(r.namespace, d)).filter(isReady);
        expect(pods.map((p) => p.spec!.containers[0].image)).toEqual(
          pods.map(() => d.spec!.template.spec!.containers[0].image),
        );
        // The watch saw both the old and the new pods: a rolling update, not a recreate.
        expect([...watch.images.get(component)!].sort()).toEqual(
          [before[d.metadata!.name!][0], d.spec!.template.spec!.containers[0].image].sort(),
        );
      }
    });

    test('helm rollback returns every Deployment to the previous revision', async () => {
      const r = get(ROLLED);
      const minimum = await budgets(r.namespace);
      const watch = await watchHealthy(r.namespace);
      const rollback = await helmRun([
        'rollback',
        RELEASE,
        '1',
        '--namespace',
        r.namespace,
        '--wait',
        '--timeout',
        '8m',
      ]);
      expect({ code: rollback.code }).toEqual({ code: 0 });
      await allRolledOut(r.namespace, ofKind(r.manifest, 'Deployment'));
      watch.recording.stop();
      expect(await imagesOf(r.namespace)).toEqual(before);
      expect(belowBudget(watch.fewest, minimum)).toEqual([]);
      // Helm's record of the release, read from its Secrets: revision 3 deployed, as a rollback to 1.
      const secrets = await kube.core.listNamespacedSecret({
        namespace: r.namespace,
        labelSelector: `owner=helm,name=${RELEASE}`,
      });
      const revisions = secrets.items
        .map((s) => ({ version: Number(s.metadata!.labels!.version), status: s.metadata!.labels!.status, s }))
        .sort((a, b) => a.version - b.version);
      expect(revisions.map(({ version, status }) => ({ version, status }))).toEqual([
        { version: 1, status: 'superseded' },
        { version: 2, status: 'superseded' },
        { version: 3, status: 'deployed' },
      ]);
      const release = JSON.parse(
        gunzipSync(
          Buffer.from(Buffer.from(revisions[2].s.data!.release, 'base64').toString(), 'base64'),
        ).toString(),
      );
      expect(release.info.description).toBe('Rollback to 1');
    });
  });

  describe('helm uninstall', () => {
    // Side by side, like the installs: each waits out its pods' termination grace period.
    const uninstalls = new Map<string, Awaited<ReturnType<typeof helmRun>>>();
    beforeAll(async () => {
      await Promise.all(
        SCENARIOS.map(async (scenario) => {
          const args = ['uninstall', RELEASE, '--namespace', get(scenario).namespace, '--wait'];
          uninstalls.set(scenario, await helmRun([...args, '--timeout', '5m']));
        }),
      );
    }, 10 * MINUTE);

    test.each(SCENARIOS)('of ci/%s.yaml leaves no object of the release behind', async (scenario) => {
      const r = get(scenario);
      // Nothing in the chart is kept by policy (helm.sh/resource-policy: keep): all must go.
      const kept = [...r.manifest, ...r.hooks].filter(
        (o) => o.metadata?.annotations?.['helm.sh/resource-policy'] === 'keep',
      );
      expect(kept).toEqual([]);
      const uninstall = uninstalls.get(scenario)!;
      expect({ code: uninstall.code, stderr: uninstall.stderr }).toEqual({ code: 0, stderr: '' });
      const prerequisites = (
        await kube.core.listNamespacedSecret({
          namespace: r.namespace,
          labelSelector: `${PREREQUISITE}=true`,
        })
      ).items.map((s) => `secrets/${s.metadata!.name}`);
      expect(prerequisites.length).toBeGreaterThan(0);
      // What the namespace holds by itself (from the controller-manager) plus the test's own Secrets.
      const own = ['configmaps/kube-root-ca.crt', 'serviceaccounts/default', ...prerequisites].sort();
      // Pods go once their grace period has passed (kwok honours it): wait for the inventory to settle.
      const left = await eventually(
        `${r.namespace} emptied`,
        async () => {
          const objects = await kube.inventory(r.namespace);
          return objects.join() === own.join() ? objects : false;
        },
        3 * MINUTE,
      ).catch(async () => kube.inventory(r.namespace));
      expect(left).toEqual(own);
      expect(await kube.clusterObjects(INSTANCE)).toEqual([]);
    });
  });

  describe('values refused before anything is created', () => {
    const namespace = namespaceOf('refused');
    const refusals = [
      ['breaks the schema', 'schema-break.yaml', /values don't meet the specifications of the schema/],
      ['would run a container as root', 'runs-as-root.yaml', /runAsUser/],
      ['would create a privileged container', 'privileged.yaml', /privileged/],
    ] as const;

    beforeAll(async () => {
      await deleteNamespace(namespace);
      await createNamespace(namespace);
    }, 5 * MINUTE);

    test.each(refusals)('a values file that %s (test/k8s/values/%s)', async (_what, file, message) => {
      const pods = await kube.record<k8s.V1Pod>(`/api/v1/namespaces/${namespace}/pods`);
      const before = await kube.inventory(namespace);
      const res = await helmRun([
        'install',
        RELEASE,
        CHART,
        '--namespace',
        namespace,
        '-f',
        scenarioFile('dev'),
        '-f',
        join(__dirname, 'values', file),
        '--wait',
        '--timeout',
        '2m',
      ]);
      pods.stop();
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(message);
      expect(await kube.inventory(namespace)).toEqual(before);
      expect(pods.events).toEqual([]);
      const list = await helmRun(['list', '--all', '--namespace', namespace, '-o', 'json']);
      expect(JSON.parse(list.stdout)).toEqual([]);
    });

    test('and the namespace itself refuses a privileged pod (Pod Security admission)', async () => {
      const attempt = kube.core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: 'privileged' },
          spec: {
            containers: [
              { name: 'c', image: 'registry.example.org/any:1', securityContext: { privileged: true } },
            ],
          },
        },
      });
      await expect(attempt).rejects.toMatchObject({ code: 403 });
      await expect(attempt).rejects.toThrow(
        /violates PodSecurity.*restricted:latest.*must not set securityContext.privileged=true/s,
      );
    });
  });
});
