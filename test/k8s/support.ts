// What the chart-on-Kubernetes suite needs: the local control plane (deploy/k8s/cluster.mjs, built
// and started on demand), Helm (deploy/tools.mjs), a client of the API, watches that record what
// happened while Helm worked, and an inventory of what a namespace holds.
import * as k8s from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import https from 'node:https';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const CHART = join(ROOT, 'charts', 'prasar');

interface Output {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command; resolves its exit code and output. `echo` streams stderr (build progress). */
export function exec(
  cmd: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; echo?: boolean } = {},
): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => {
      stderr += c;
      if (options.echo) process.stderr.write(c);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function nodeScript(script: string, args: string[]): Promise<unknown> {
  const res = await exec(process.execPath, [script, ...args, '--json'], { echo: true });
  if (res.code !== 0)
    throw new Error(`node ${script} ${args.join(' ')} failed (exit ${res.code}):\n${res.stderr}`);
  return JSON.parse(res.stdout);
}

export interface Cluster {
  kubeconfig: string;
  server: string;
  /** Whether this run started it (and so stops it), or found it running (and leaves it). */
  started: boolean;
}

/**
 * Builds the binaries when not cached (minutes, once), starts the control plane unless it runs,
 * and makes its default node pool `count` nodes of `instanceType` across the three zones.
 */
export async function clusterUp(count: number, instanceType: string): Promise<Cluster> {
  return (await nodeScript('deploy/k8s/cluster.mjs', [
    'up',
    '--nodes',
    String(count),
    '--instance-type',
    instanceType,
  ])) as Cluster;
}

export async function clusterDown(): Promise<void> {
  await nodeScript('deploy/k8s/cluster.mjs', ['down']);
}

/** Node pool `pool` made exactly `count` kwok nodes of `instanceType` across the three zones. */
export async function nodePool(pool: string, count: number, instanceType: string): Promise<string[]> {
  const res = (await nodeScript('deploy/k8s/cluster.mjs', [
    'nodes',
    '--pool',
    pool,
    '--nodes',
    String(count),
    '--instance-type',
    instanceType,
  ])) as { nodes: string[] };
  return res.nodes;
}

export async function helmBinary(): Promise<string> {
  const tools = (await nodeScript('deploy/tools.mjs', ['ensure', 'helm'])) as {
    helm: { bin: { helm: string } };
  };
  return tools.helm.bin.helm;
}

export class Kube {
  readonly kc = new k8s.KubeConfig();
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;
  readonly batch: k8s.BatchV1Api;
  readonly policy: k8s.PolicyV1Api;
  readonly scheduling: k8s.SchedulingV1Api;
  readonly extensions: k8s.ApiextensionsV1Api;

  /** Watches still open (stopped by `close`). */
  private readonly open = new Set<() => void>();

  constructor(readonly kubeconfig: string) {
    this.kc.loadFromFile(kubeconfig);
    this.core = this.kc.makeApiClient(k8s.CoreV1Api);
    this.apps = this.kc.makeApiClient(k8s.AppsV1Api);
    this.batch = this.kc.makeApiClient(k8s.BatchV1Api);
    this.policy = this.kc.makeApiClient(k8s.PolicyV1Api);
    this.scheduling = this.kc.makeApiClient(k8s.SchedulingV1Api);
    this.extensions = this.kc.makeApiClient(k8s.ApiextensionsV1Api);
  }

  /** Stops every watch still open (a test that failed half-way leaves its own). */
  close(): void {
    for (const stop of [...this.open]) stop();
  }

  /** A GET of any API path (discovery, lists of any resource), parsed. */
  async get<T = unknown>(path: string): Promise<T> {
    const server = new URL(this.kc.getCurrentCluster()!.server);
    const options: https.RequestOptions = {
      host: server.hostname,
      port: server.port,
      path,
      method: 'GET',
      headers: { accept: 'application/json' },
    };
    await this.kc.applyToHTTPSOptions(options);
    return new Promise((resolve, reject) => {
      const req = https.request(options, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(JSON.parse(text) as T)
            : reject(new Error(`GET ${path}: ${res.statusCode} ${text.slice(0, 300)}`)),
        );
      });
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * Records every event of a watch on `path` (e.g. /apis/batch/v1/namespaces/x/jobs) until stopped;
   * resolves once the watch is open. Without `resourceVersion` it starts with an ADDED event per
   * existing object; with a list's, it carries on from that list.
   */
  async record<T extends k8s.KubernetesObject>(
    path: string,
    onEvent?: (type: string, obj: T) => void,
    resourceVersion?: string,
  ): Promise<Recording<T>> {
    const events: RecordedEvent<T>[] = [];
    const errors: unknown[] = [];
    const controller = await new k8s.Watch(this.kc).watch(
      path,
      { allowWatchBookmarks: false, resourceVersion },
      (type, obj: T) => {
        events.push({ type, obj, at: Date.now() });
        onEvent?.(type, obj);
      },
      (err) => {
        if (err && !(err instanceof Error && err.name === 'AbortError')) errors.push(err);
      },
    );
    const stop = () => {
      controller.abort();
      this.open.delete(stop);
    };
    this.open.add(stop);
    return { events, errors, stop };
  }

  /**
   * Every object in `namespace`, of every namespaced resource type the API serves (discovery),
   * as "<resource>.<group>/<name>".
   */
  async inventory(namespace: string): Promise<string[]> {
    const found: string[] = [];
    for (const { base, group, resources } of await this.resourceTypes()) {
      for (const r of resources.filter((x) => x.namespaced)) {
        const list = await this.get<{ items: k8s.KubernetesObject[] }>(
          `${base}/namespaces/${namespace}/${r.name}`,
        );
        for (const item of list.items)
          found.push(`${r.name}${group ? `.${group}` : ''}/${item.metadata!.name}`);
      }
    }
    return found.sort();
  }

  /** Cluster-scoped objects carrying `labelSelector`, of every cluster-scoped type. */
  async clusterObjects(labelSelector: string): Promise<string[]> {
    const found: string[] = [];
    for (const { base, group, resources } of await this.resourceTypes()) {
      for (const r of resources.filter((x) => !x.namespaced)) {
        const list = await this.get<{ items: k8s.KubernetesObject[] }>(
          `${base}/${r.name}?labelSelector=${encodeURIComponent(labelSelector)}`,
        );
        for (const item of list.items)
          found.push(`${r.name}${group ? `.${group}` : ''}/${item.metadata!.name}`);
      }
    }
    return found.sort();
  }

  /** Listable resource types (no subresources), grouped by API path; events left out (they expire). */
  private async resourceTypes(): Promise<{ base: string; group: string; resources: ApiResource[] }[]> {
    const groups = await this.get<{ groups: { name: string; preferredVersion: { groupVersion: string } }[] }>(
      '/apis',
    );
    const bases = [
      { base: '/api/v1', group: '' },
      ...groups.groups.map((g) => ({ base: `/apis/${g.preferredVersion.groupVersion}`, group: g.name })),
    ];
    const out = [];
    for (const { base, group } of bases) {
      const list = await this.get<{ resources: ApiResource[] }>(base);
      const resources = list.resources.filter(
        (r) => !r.name.includes('/') && r.verbs.includes('list') && r.name !== 'events',
      );
      out.push({ base, group, resources });
    }
    return out;
  }
}

interface ApiResource {
  name: string;
  namespaced: boolean;
  verbs: string[];
}

export interface RecordedEvent<T> {
  type: string;
  obj: T;
  /** When this process received it. */
  at: number;
}

export interface Recording<T> {
  events: RecordedEvent<T>[];
  errors: unknown[];
  stop: () => void;
}

/** Polls `check` until it returns a value other than undefined/false, or fails with its last error. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export const isReady = (pod: k8s.V1Pod): boolean =>
  !pod.metadata?.deletionTimestamp &&
  pod.status?.phase === 'Running' &&
  (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
