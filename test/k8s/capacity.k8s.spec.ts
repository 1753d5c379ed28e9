// The node count docs/capacity.md claims for the `national` profile, checked on the local control
// plane: the profile installed at its HPA maxima leaves pods Pending on one node fewer than claimed,
// and once the claimed node is added every pod is scheduled with no node over its allocatable
// resources. kwok nodes have exactly the capacity of their instance type and nothing else runs on
// them, so this checks the doc's arithmetic against the real scheduler (spread rules included),
// not the services' real memory or CPU use.
import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CHART,
  Cluster,
  Kube,
  ROOT,
  clusterDown,
  clusterUp,
  eventually,
  exec,
  helmBinary,
  isReady,
  nodePool,
} from './support';

const MINUTE = 60_000;
jest.setTimeout(10 * MINUTE);
const RELEASE = 'prasar';
const NAMESPACE = 'capacity-national';
const PROFILES = ['dev', 'state', 'national'];
const profileFile = (name: string) => join(CHART, 'profiles', `${name}.yaml`);
/** The values every install needs (brokers, issuer, database URLs); the profile is laid over them. */
const BASE = join(CHART, 'ci', 'dev.yaml');

/** The claim written in docs/capacity.md: `<!-- capacity-claim: profile=national nodes=6 instanceType=standard-8 -->`. */
function claimOf(profile: string): { nodes: number; instanceType: string } {
  const doc = readFileSync(join(ROOT, 'docs', 'capacity.md'), 'utf8');
  const m = new RegExp(
    `<!-- capacity-claim: profile=${profile} nodes=(\\d+) instanceType=([\\w-]+) -->`,
  ).exec(doc);
  if (!m) throw new Error(`docs/capacity.md states no node count for ${profile}`);
  return { nodes: Number(m[1]), instanceType: m[2] };
}

/** A resource quantity in base units (cores, bytes), for the forms the chart and kwok use. */
function quantity(q: string | number): number {
  const text = String(q);
  const m = /^([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G)?$/.exec(text);
  if (!m) throw new Error(`unparsed quantity ${text}`);
  const factor: Record<string, number> = {
    m: 1e-3,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    M: 1e6,
    G: 1e9,
  };
  return Number(m[1]) * (m[2] ? factor[m[2]] : 1);
}

describe('capacity profiles (charts/prasar/profiles)', () => {
  let cluster: Cluster;
  let kube: Kube;
  let helm: string;
  const claim = claimOf('national');

  const helmRun = (args: string[]) => exec(helm, [...args, '--kubeconfig', cluster.kubeconfig]);

  beforeAll(async () => {
    // One node fewer than claimed, to begin with.
    [cluster, helm] = await Promise.all([clusterUp(claim.nodes - 1, claim.instanceType), helmBinary()]);
    kube = new Kube(cluster.kubeconfig);
  }, 30 * MINUTE);

  afterAll(async () => {
    if (!cluster) return;
    kube.close();
    if (cluster.started) {
      await clusterDown();
      return;
    }
    await helmRun(['uninstall', RELEASE, '--namespace', NAMESPACE, '--wait']);
    await kube.core.deleteNamespace({ name: NAMESPACE }).catch(() => undefined);
  }, 10 * MINUTE);

  /** A new `restricted` namespace holding the publisher's Secret (an earlier run's is removed first). */
  async function freshNamespace(name: string): Promise<void> {
    await kube.core.deleteNamespace({ name }).catch(() => undefined);
    await eventually(`no namespace ${name} left from an earlier run`, async () => {
      try {
        await kube.core.readNamespace({ name });
        return false;
      } catch {
        return true;
      }
    });
    await kube.core.createNamespace({
      body: { metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
    });
    await kube.core.createNamespacedSecret({
      namespace: name,
      body: {
        metadata: { name: 'prasar-publisher-secrets' },
        stringData: { 'credentials-keys': 'k1:AAAA', 'whatsapp-app-secret': 'secret' },
      },
    });
  }

  // Before the national test, on its smaller pool, and removed again so that test's count is exact.
  test.each(['dev', 'state'])(
    'profiles/%s.yaml installs: every Deployment Available with its replicas Ready',
    async (profile) => {
      const namespace = `capacity-${profile}`;
      await freshNamespace(namespace);
      const install = await helmRun([
        'install',
        RELEASE,
        CHART,
        '--namespace',
        namespace,
        '-f',
        BASE,
        '-f',
        profileFile(profile),
        '--wait',
        '--timeout',
        '5m',
      ]);
      expect({ code: install.code, stderr: install.stderr }).toEqual({ code: 0, stderr: '' });
      // The profile's replicas: one each for dev; for state, the HPA's minimum (2), which the HPA
      // controller scales the Deployments to within its sync period.
      const want = profile === 'dev' ? 1 : 2;
      const deployments = await eventually(
        `every ${profile} Deployment Available with ${want} Ready`,
        async () => {
          const items = (await kube.apps.listNamespacedDeployment({ namespace })).items;
          const ok = items.every(
            (d) =>
              d.status?.conditions?.find((c) => c.type === 'Available')?.status === 'True' &&
              d.spec?.replicas === want &&
              d.status?.readyReplicas === want,
          );
          return items.length > 0 && ok && items;
        },
      );
      expect(deployments.map((d) => d.metadata!.name).sort()).toEqual(
        ['analytics', 'approval', 'console', 'gateway', 'intake', 'publisher', 'scheduler'].map(
          (c) => `prasar-${c}`,
        ),
      );
      const uninstall = await helmRun(['uninstall', RELEASE, '--namespace', namespace, '--wait']);
      expect(uninstall.code).toBe(0);
      await kube.core.deleteNamespace({ name: namespace });
      await eventually(`the ${profile} pods gone`, async () => {
        const pods = await kube.core.listNamespacedPod({ namespace });
        return pods.items.length === 0;
      });
    },
    10 * MINUTE,
  );

  test.each(PROFILES)('profiles/%s.yaml renders within the schema', async (profile) => {
    const res = await exec(helm, ['template', RELEASE, CHART, '-f', BASE, '-f', profileFile(profile)]);
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
    const objects = k8s.loadAllYaml(res.stdout) as k8s.KubernetesObject[];
    expect(objects.filter((o) => o?.kind === 'Deployment').length).toBeGreaterThan(0);
  });

  test(`national at its HPA maxima: Pending on ${claim.nodes - 1} nodes, all scheduled on ${claim.nodes}`, async () => {
    // The HPA maxima of the rendered profile, made the minima: the HPAs scale every Deployment there.
    const rendered = await exec(helm, [
      'template',
      RELEASE,
      CHART,
      '-f',
      BASE,
      '-f',
      profileFile('national'),
    ]);
    const hpas = (k8s.loadAllYaml(rendered.stdout) as k8s.V2HorizontalPodAutoscaler[]).filter(
      (o) => o?.kind === 'HorizontalPodAutoscaler',
    );
    expect(hpas.length).toBeGreaterThan(0);
    const maxima = new Map(
      hpas.map((h) => [h.metadata!.labels!['app.kubernetes.io/component'], h.spec!.maxReplicas]),
    );
    const atMaxima = [...maxima].flatMap(([c, max]) => [
      '--set',
      `components.${c}.autoscaling.minReplicas=${max}`,
    ]);
    const totalPods = [...maxima.values()].reduce((a, b) => a + b, 0);

    await freshNamespace(NAMESPACE);
    const install = await helmRun([
      'install',
      RELEASE,
      CHART,
      '--namespace',
      NAMESPACE,
      '-f',
      BASE,
      '-f',
      profileFile('national'),
      ...atMaxima,
      '--wait',
      '--timeout',
      '8m',
    ]);
    expect({ code: install.code, stderr: install.stderr }).toEqual({ code: 0, stderr: '' });

    const servicePods = async () =>
      (
        await kube.core.listNamespacedPod({
          namespace: NAMESPACE,
          labelSelector:
            'app.kubernetes.io/instance=prasar,app.kubernetes.io/component notin (migrations,topics)',
        })
      ).items.filter((p) => !p.metadata!.deletionTimestamp);
    const unschedulable = (p: k8s.V1Pod) =>
      p.status?.phase === 'Pending' &&
      (p.status.conditions ?? []).some(
        (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
      );

    // One node short: every pod made, the scheduler has placed what fits, the rest is Unschedulable.
    const short = await eventually(
      `${totalPods} pods, the unplaceable ones Unschedulable`,
      async () => {
        const pods = await servicePods();
        const settled = pods.every((p) => isReady(p) || unschedulable(p));
        return pods.length === totalPods && settled ? pods : false;
      },
      4 * MINUTE,
    );
    const pending = short.filter(unschedulable);
    expect(pending.length).toBeGreaterThan(0);
    expect(pending[0].status!.conditions!.find((c) => c.type === 'PodScheduled')!.message).toMatch(
      /Insufficient cpu|didn't match pod topology spread constraints/,
    );

    // The claimed pool: the Pending pods are placed.
    await nodePool('default', claim.nodes, claim.instanceType);
    const placed = await eventually(
      `all ${totalPods} pods Ready on ${claim.nodes} nodes`,
      async () => {
        const pods = await servicePods();
        return pods.length === totalPods && pods.every(isReady) ? pods : false;
      },
      4 * MINUTE,
    );
    const nodes = (await kube.core.listNode()).items;
    expect(nodes).toHaveLength(claim.nodes);
    // No node holds more than its allocatable CPU, memory or pod count.
    const over = nodes
      .map((node) => {
        const mine = placed.filter((p) => p.spec!.nodeName === node.metadata!.name);
        const sum = (resource: 'cpu' | 'memory') =>
          mine
            .flatMap((p) => p.spec!.containers)
            .reduce((total, c) => total + quantity(c.resources?.requests?.[resource] ?? 0), 0);
        const alloc = node.status!.allocatable!;
        return {
          node: node.metadata!.name,
          cpu: sum('cpu') <= quantity(alloc.cpu),
          memory: sum('memory') <= quantity(alloc.memory),
          pods: mine.length <= quantity(alloc.pods),
        };
      })
      .filter((n) => !n.cpu || !n.memory || !n.pods);
    expect(over).toEqual([]);
    // Each Deployment at its maximum, spread evenly over the three zones (the hard zone rule).
    for (const [component, max] of maxima) {
      const zones = new Map<string, number>();
      for (const p of placed.filter(
        (x) => x.metadata!.labels!['app.kubernetes.io/component'] === component,
      )) {
        const zone = nodes.find((n) => n.metadata!.name === p.spec!.nodeName)!.metadata!.labels![
          'topology.kubernetes.io/zone'
        ];
        zones.set(zone, (zones.get(zone) ?? 0) + 1);
      }
      expect({ component, pods: [...zones.values()].reduce((a, b) => a + b, 0), zones: zones.size }).toEqual({
        component,
        pods: max,
        zones: 3,
      });
      expect(Math.max(...zones.values()) - Math.min(...zones.values())).toBeLessThanOrEqual(1);
    }
  });
});
