#!/usr/bin/env node
// A local Kubernetes control plane for trying the chart: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler, built once from the Go module proxy, with kwok playing
// the nodes (pods are scheduled and go Running, Job pods Succeeded, but no container runs).
//
//   node deploy/k8s/cluster.mjs up [--nodes N] [--instance-type T]   (npm run k8s:up)
//   node deploy/k8s/cluster.mjs nodes --pool P --nodes N [--instance-type T]
//   node deploy/k8s/cluster.mjs down                                 (npm run k8s:down)
//   node deploy/k8s/cluster.mjs status | ensure                      (--json: results on stdout)
//
// Binaries are cached by version under $PRASAR_HOME/k8s (default ~/.cache/prasar/k8s):
//   kubernetes/v1.34.4/{kube-apiserver,kube-controller-manager,kube-scheduler}
//   etcd/v3.6.16/etcd          kwok/v0.8.0/{kwok,stages/}
// through deploy/tools.mjs's cache (a folder counts once its marker is written; one builder at a
// time). State, logs and the kubeconfig live in $PRASAR_HOME/run/k8s; `up` is idempotent (a running
// control plane is reused) and `down` stops only the processes `up` recorded in its pid file.
// Everything listens on 127.0.0.1; the ports are set by PRASAR_K8S_{API,ETCD,ETCD_PEER,CM,SCHED}_PORT.
// Other scripts import { up, down, status, setNodePool, ensureBinaries } from here. Only Node
// built-ins (and openssl for the certificates): this runs before anything else is installed.
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GO_HINT,
  HOME,
  ToolError,
  cached,
  isAlive,
  makeWritable,
  requireCommand,
  run,
  withLock,
} from '../tools.mjs';
import { runAsMain } from '../cli.mjs';

export const K8S_VERSION = '1.34.4';
export const ETCD_VERSION = '3.6.16';
export const KWOK_VERSION = '0.8.0';

const HOST = '127.0.0.1';
const envPort = (name, fallback) => {
  const raw = process.env[name];
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ToolError(`${name}=${raw} is not a port`);
  return port;
};
/** Ports of the control plane (all on 127.0.0.1, below the ephemeral range). */
export const PORTS = {
  api: envPort('PRASAR_K8S_API_PORT', 16443),
  etcd: envPort('PRASAR_K8S_ETCD_PORT', 12379),
  etcdPeer: envPort('PRASAR_K8S_ETCD_PEER_PORT', 12380),
  controllerManager: envPort('PRASAR_K8S_CM_PORT', 16444),
  scheduler: envPort('PRASAR_K8S_SCHED_PORT', 16445),
};

const K8S_HOME = path.join(HOME, 'k8s');
const RUN = path.join(HOME, 'run', 'k8s');
const P = {
  pki: path.join(RUN, 'pki'),
  etcdData: path.join(RUN, 'etcd-data'),
  logs: path.join(RUN, 'logs'),
  tokens: path.join(RUN, 'tokens.csv'),
  pids: path.join(RUN, 'pids.json'),
  kubeconfig: path.join(RUN, 'kubeconfig'),
  lock: path.join(RUN, 'cluster.lock'),
};
/** The kubeconfig of the local control plane's administrator (system:masters). */
export const KUBECONFIG = P.kubeconfig;

/** Zones of the local node pools (topology.kubernetes.io/zone). */
export const ZONES = ['zone-a', 'zone-b', 'zone-c'];
export const REGION = 'local';
/** Node shapes (node.kubernetes.io/instance-type → capacity), named like a cloud's general-purpose sizes. */
export const INSTANCE_TYPES = {
  'standard-2': { cpu: '2', memory: '8Gi', pods: '110' },
  'standard-4': { cpu: '4', memory: '16Gi', pods: '110' },
  'standard-8': { cpu: '8', memory: '32Gi', pods: '110' },
  'standard-16': { cpu: '16', memory: '64Gi', pods: '110' },
};
const DEFAULT_POOL = { pool: 'default', count: 3, instanceType: 'standard-4' };

const say = (line) => process.stderr.write(`[k8s] ${line}\n`);
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------------------------
// Binaries

async function goModDir(module) {
  const info = JSON.parse(await run(`go mod download ${module}`, 'go', ['mod', 'download', '-json', module]));
  if (!info.Dir) throw new ToolError(`go mod download ${module} gave no Dir: ${info.Error ?? ''}`);
  return info.Dir;
}

function kubernetesSpec() {
  const version = K8S_VERSION;
  const minor = version.split('.')[1];
  const commands = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
  return {
    name: 'kubernetes',
    version,
    dir: path.join(K8S_HOME, 'kubernetes', `v${version}`),
    recipe: 1,
    bin: Object.fromEntries(commands.map((c) => [c, c])),
    how: `go mod download k8s.io/kubernetes@v${version}, then go build ${commands.join(', ')}`,
    expect: 'about 6 min',
    preflight: () => requireCommand('go', 'the local Kubernetes control plane', GO_HINT),
    async build(target) {
      const scratch = `${target}.src-${process.pid}`;
      fs.rmSync(scratch, { recursive: true, force: true });
      try {
        let since = Date.now();
        const src = await goModDir(`k8s.io/kubernetes@v${version}`);
        say(`kubernetes: source downloaded (${seconds(since)}); preparing the module…`);
        fs.cpSync(src, scratch, { recursive: true });
        makeWritable(scratch);
        // The repository builds its staging modules from ./staging through go.work and replace
        // directives; outside it, the published k8s.io/* modules of the same release stand in.
        fs.rmSync(path.join(scratch, 'go.work'), { force: true });
        fs.rmSync(path.join(scratch, 'go.work.sum'), { force: true });
        const goMod = fs.readFileSync(path.join(scratch, 'go.mod'), 'utf8');
        const staged = [...goMod.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\//gm)].map((m) => m[1]);
        if (staged.length === 0) throw new ToolError(`kubernetes ${version}: no staging replaces in go.mod`);
        await run(
          'go mod edit',
          'go',
          [
            'mod',
            'edit',
            ...staged.flatMap((m) => [
              `-dropreplace=${m}`,
              `-require=${m}@v0.${minor}.${version.split('.')[2]}`,
            ]),
          ],
          { cwd: scratch },
        );
        const stamp = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
          `-X ${pkg}.gitVersion=v${version}`,
          `-X ${pkg}.gitMajor=1`,
          `-X ${pkg}.gitMinor=${minor}`,
          `-X ${pkg}.gitTreeState=clean`,
        ]);
        fs.mkdirSync(target, { recursive: true });
        for (const command of commands) {
          since = Date.now();
          say(`kubernetes: go build ./cmd/${command}…`);
          await run(
            `go build ${command}`,
            'go',
            [
              'build',
              '-trimpath',
              `-ldflags=-s -w ${stamp.join(' ')}`,
              '-o',
              path.join(target, command),
              `./cmd/${command}`,
            ],
            {
              cwd: scratch,
              env: { GOWORK: 'off', GOFLAGS: '-mod=mod -buildvcs=false', CGO_ENABLED: '0' },
            },
          );
          say(`kubernetes: ${command} built in ${seconds(since)}`);
        }
      } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
      }
    },
  };
}

function etcdSpec() {
  const version = ETCD_VERSION;
  return {
    name: 'etcd',
    version,
    dir: path.join(K8S_HOME, 'etcd', `v${version}`),
    recipe: 1,
    bin: { etcd: 'etcd' },
    how: `go build of go.etcd.io/etcd/server/v3@v${version}'s etcdmain in a scratch module`,
    expect: 'about 30 s',
    preflight: () => requireCommand('go', 'etcd', GO_HINT),
    async build(target) {
      const scratch = `${target}.src-${process.pid}`;
      fs.rmSync(scratch, { recursive: true, force: true });
      fs.mkdirSync(scratch, { recursive: true });
      try {
        fs.writeFileSync(
          path.join(scratch, 'main.go'),
          'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\n' +
            'func main() { etcdmain.Main(os.Args) }\n',
        );
        const env = { GOWORK: 'off', GOFLAGS: '-mod=mod -buildvcs=false', CGO_ENABLED: '0' };
        await run('go mod init', 'go', ['mod', 'init', 'prasar.local/etcd'], { cwd: scratch, env });
        await run('go get etcd', 'go', ['get', `go.etcd.io/etcd/server/v3@v${version}`], {
          cwd: scratch,
          env,
        });
        await run('go mod tidy', 'go', ['mod', 'tidy'], { cwd: scratch, env });
        fs.mkdirSync(target, { recursive: true });
        await run(
          'go build etcd',
          'go',
          ['build', '-trimpath', '-ldflags=-s -w', '-o', path.join(target, 'etcd'), '.'],
          {
            cwd: scratch,
            env,
          },
        );
      } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
      }
    },
  };
}

/** The kwok stages used: nodes become Ready and keep a lease; pods go through pod/general's stages. */
const KWOK_STAGES = [
  'node/fast/node-initialize.yaml',
  'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'pod/general/pod-create.yaml',
  'pod/general/pod-init-container-running.yaml',
  'pod/general/pod-init-container-completed.yaml',
  'pod/general/pod-ready.yaml',
  // Its selector includes Job-owned pods (ownerReferences kind Job): they turn Succeeded.
  'pod/general/pod-complete.yaml',
  'pod/general/pod-delete.yaml',
];

function kwokSpec() {
  const version = KWOK_VERSION;
  return {
    name: 'kwok',
    version,
    dir: path.join(K8S_HOME, 'kwok', `v${version}`),
    recipe: 1,
    bin: {
      kwok: 'kwok',
      ...Object.fromEntries(KWOK_STAGES.map((s) => [`stage:${s}`, path.join('stages', s)])),
    },
    how: `go install sigs.k8s.io/kwok/cmd/kwok@v${version}, with its stage files`,
    expect: 'about 1 min',
    preflight: () => requireCommand('go', 'kwok', GO_HINT),
    async build(target) {
      const scratch = `${target}.tmp-${process.pid}`;
      fs.rmSync(scratch, { recursive: true, force: true });
      fs.mkdirSync(scratch, { recursive: true });
      try {
        await run(
          'go install kwok',
          'go',
          ['install', '-trimpath', '-ldflags=-s -w', `sigs.k8s.io/kwok/cmd/kwok@v${version}`],
          {
            env: { GOBIN: scratch, GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' },
          },
        );
        const src = await goModDir(`sigs.k8s.io/kwok@v${version}`);
        for (const stage of KWOK_STAGES) {
          const to = path.join(scratch, 'stages', stage);
          fs.mkdirSync(path.dirname(to), { recursive: true });
          fs.copyFileSync(path.join(src, 'kustomize', 'stage', stage), to);
          fs.chmodSync(to, 0o644);
        }
        fs.renameSync(scratch, target);
      } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Builds whatever of the control plane's binaries is not cached yet (progress on stderr) and
 * resolves their paths.
 */
export async function ensureBinaries() {
  const kubernetes = await cached(kubernetesSpec());
  const etcd = await cached(etcdSpec());
  const kwok = await cached(kwokSpec());
  return {
    apiserver: kubernetes.bin['kube-apiserver'],
    controllerManager: kubernetes.bin['kube-controller-manager'],
    scheduler: kubernetes.bin['kube-scheduler'],
    etcd: etcd.bin.etcd,
    kwok: kwok.bin.kwok,
    kwokStages: KWOK_STAGES.map((s) => kwok.bin[`stage:${s}`]),
  };
}

// ---------------------------------------------------------------------------------------------
// Credentials

function openssl(args, what) {
  const res = spawnSync('openssl', args, { encoding: 'utf8' });
  if (res.error || res.status !== 0) {
    throw new ToolError(`openssl ${what} failed: ${res.error?.message ?? res.stderr.trim()}`);
  }
}

/** A CA, the apiserver's serving certificate, the service-account key pair and one token per client. */
function ensureCredentials() {
  fs.mkdirSync(P.pki, { recursive: true, mode: 0o700 });
  const f = (name) => path.join(P.pki, name);
  if (!fs.existsSync(f('apiserver.crt'))) {
    requireCommand(
      'openssl',
      'the local control plane (its certificates)',
      'install openssl (Debian `openssl`)',
    );
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '3650',
        '-subj',
        '/CN=prasar-local-ca',
        '-keyout',
        f('ca.key'),
        '-out',
        f('ca.crt'),
      ],
      'CA',
    );
    const san = [
      `IP:${HOST}`,
      'IP:10.96.0.1',
      'DNS:localhost',
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
    ].join(',');
    fs.writeFileSync(f('apiserver.ext'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
    openssl(
      [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=kube-apiserver',
        '-keyout',
        f('apiserver.key'),
        '-out',
        f('apiserver.csr'),
      ],
      'apiserver key',
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        f('apiserver.csr'),
        '-CA',
        f('ca.crt'),
        '-CAkey',
        f('ca.key'),
        '-CAcreateserial',
        '-days',
        '3650',
        '-extfile',
        f('apiserver.ext'),
        '-out',
        f('apiserver.crt'),
      ],
      'apiserver certificate',
    );
  }
  if (!fs.existsSync(f('sa.key'))) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fs.writeFileSync(f('sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    fs.writeFileSync(f('sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  // token,user,uid,"groups": the administrator, kwok (it writes nodes', pods' and leases' status),
  // and the controller-manager and scheduler under the users their bootstrap RBAC roles name.
  const users = {
    admin: ['prasar-admin', 'system:masters'],
    kwok: ['kwok', 'system:masters'],
    'controller-manager': ['system:kube-controller-manager', ''],
    scheduler: ['system:kube-scheduler', ''],
  };
  let tokens = readTokens();
  if (!tokens || Object.keys(users).some((u) => !tokens[u])) {
    tokens = Object.fromEntries(Object.keys(users).map((u) => [u, randomBytes(24).toString('hex')]));
    const lines = Object.entries(users).map(
      ([u, [user, groups]], i) => `${tokens[u]},${user},${1000 + i}${groups ? `,"${groups}"` : ''}`,
    );
    fs.writeFileSync(P.tokens, `${lines.join('\n')}\n`, { mode: 0o600 });
  }
  const ca = fs.readFileSync(f('ca.crt'));
  for (const who of Object.keys(users)) {
    const file = who === 'admin' ? P.kubeconfig : path.join(RUN, `${who}.kubeconfig`);
    fs.writeFileSync(file, kubeconfigText(ca, tokens[who], who), { mode: 0o600 });
  }
  return tokens;
}

function readTokens() {
  try {
    const byUser = {
      'prasar-admin': 'admin',
      kwok: 'kwok',
      'system:kube-controller-manager': 'controller-manager',
      'system:kube-scheduler': 'scheduler',
    };
    const out = {};
    for (const line of fs.readFileSync(P.tokens, 'utf8').trim().split('\n')) {
      const [token, user] = line.split(',');
      if (byUser[user]) out[byUser[user]] = token;
    }
    return out;
  } catch {
    return null;
  }
}

/** A kubeconfig in JSON (every Kubernetes client reads it as YAML). */
function kubeconfigText(ca, token, user) {
  const cluster = 'prasar-local';
  return `${JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: cluster,
          cluster: {
            server: `https://${HOST}:${PORTS.api}`,
            'certificate-authority-data': ca.toString('base64'),
          },
        },
      ],
      users: [{ name: user, user: { token } }],
      contexts: [{ name: cluster, context: { cluster, user } }],
      'current-context': cluster,
    },
    null,
    2,
  )}\n`;
}

// ---------------------------------------------------------------------------------------------
// The API, through Node's https (kwok's nodes are made before any npm package may be installed)

function connection() {
  const tokens = readTokens();
  if (!tokens?.admin) throw new ToolError('the local control plane has no credentials yet: npm run k8s:up');
  return { ca: fs.readFileSync(path.join(P.pki, 'ca.crt')), token: tokens.admin };
}

/** One request to the apiserver; resolves { status, body } (body parsed when JSON). */
export function kubeRequest(method, urlPath, body, { conn = connection(), contentType } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      {
        host: HOST,
        port: PORTS.api,
        method,
        path: urlPath,
        ca: conn.ca,
        headers: {
          authorization: `Bearer ${conn.token}`,
          accept: 'application/json',
          ...(payload
            ? {
                'content-type': contentType ?? 'application/json',
                'content-length': Buffer.byteLength(payload),
              }
            : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let parsed = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON (/readyz answers "ok")
          }
          resolve({ status: res.statusCode, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: timed out`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

async function kubeOk(method, urlPath, body, options) {
  const res = await kubeRequest(method, urlPath, body, options);
  if (res.status >= 300) {
    throw new ToolError(
      `${method} ${urlPath}: ${res.status} ${res.body?.message ?? JSON.stringify(res.body)}`,
    );
  }
  return res.body;
}

/** The Node object kwok plays: zone and instance-type labels, capacity of the instance type. */
function nodeObject({ name, pool, zone, instanceType, capacity }) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': instanceType,
        'topology.kubernetes.io/region': REGION,
        'topology.kubernetes.io/zone': zone,
        'prasar.io/node-pool': pool,
        type: 'kwok',
      },
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {},
    status: {
      allocatable: capacity,
      capacity,
      nodeInfo: {
        architecture: 'amd64',
        operatingSystem: 'linux',
        kubeletVersion: `v${K8S_VERSION}`,
        kubeProxyVersion: `v${K8S_VERSION}`,
        containerRuntimeVersion: 'kwok',
        osImage: 'kwok',
        kernelVersion: 'kwok',
        bootID: '',
        machineID: '',
        systemUUID: '',
      },
      phase: 'Running',
    },
  };
}

/**
 * Makes node pool `pool` exactly `count` nodes of `instanceType`, spread round-robin over `zones`
 * (named <pool>-<zone>-<n>): nodes of the pool beyond that are deleted, missing ones created, and
 * nodes of another instance type replaced. Resolves once every node of the pool is Ready.
 */
export async function setNodePool({
  pool = 'default',
  count,
  instanceType = 'standard-4',
  zones = ZONES,
  capacity,
} = {}) {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(pool))
    throw new ToolError(`node pool name "${pool}" is not a DNS label`);
  const shape = capacity ?? INSTANCE_TYPES[instanceType];
  if (!shape)
    throw new ToolError(
      `unknown instance type ${instanceType} (known: ${Object.keys(INSTANCE_TYPES).join(', ')})`,
    );
  const conn = connection();
  const selector = encodeURIComponent(`prasar.io/node-pool=${pool}`);
  const existing = (await kubeOk('GET', `/api/v1/nodes?labelSelector=${selector}`, undefined, { conn }))
    .items;
  const wanted = Array.from({ length: count }, (_, i) => {
    const zone = zones[i % zones.length];
    return {
      name: `${pool}-${zone}-${Math.floor(i / zones.length) + 1}`,
      pool,
      zone,
      instanceType,
      capacity: shape,
    };
  });
  const wantedNames = new Set(wanted.map((n) => n.name));
  const keep = new Set();
  for (const node of existing) {
    const sameType =
      node.metadata.labels?.['node.kubernetes.io/instance-type'] === instanceType &&
      node.status?.capacity?.cpu === shape.cpu &&
      node.status?.capacity?.memory === shape.memory;
    if (wantedNames.has(node.metadata.name) && sameType) keep.add(node.metadata.name);
    else await kubeOk('DELETE', `/api/v1/nodes/${node.metadata.name}`, undefined, { conn });
  }
  // A deleted node is gone at once (no finalizers), but wait, so that a same-named one can be made.
  for (const node of existing.filter((n) => !keep.has(n.metadata.name))) {
    for (let i = 0; ; i++) {
      const res = await kubeRequest('GET', `/api/v1/nodes/${node.metadata.name}`, undefined, { conn });
      if (res.status === 404) break;
      if (i > 100) throw new ToolError(`node ${node.metadata.name} was not deleted`);
      await sleep(100);
    }
  }
  for (const node of wanted.filter((n) => !keep.has(n.name))) {
    await kubeOk('POST', '/api/v1/nodes', nodeObject(node), { conn });
  }
  await waitFor(`node pool ${pool} Ready`, 60_000, async () => {
    const nodes = (await kubeOk('GET', `/api/v1/nodes?labelSelector=${selector}`, undefined, { conn })).items;
    return (
      nodes.length === count &&
      nodes.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    );
  });
  return wanted.map((n) => n.name);
}

// ---------------------------------------------------------------------------------------------
// Processes

async function waitFor(what, timeoutMs, check) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new ToolError(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    }
    await sleep(250);
  }
}

function portFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

function readPids() {
  try {
    return JSON.parse(fs.readFileSync(P.pids, 'utf8'));
  } catch {
    return null;
  }
}

/** A recorded process still running the binary it was started from (not a reused pid). */
function stillOurs(proc) {
  if (!isAlive(proc.pid)) return false;
  try {
    return fs.readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').split('\0')[0] === proc.bin;
  } catch {
    return true; // no /proc: trust the pid
  }
}

function healthGet(port, urlPath) {
  return new Promise((resolve) => {
    const req = https.get(
      { host: HOST, port, path: urlPath, rejectUnauthorized: false, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function apiReady() {
  try {
    const res = await kubeRequest('GET', '/readyz');
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Whether a control plane started by `up` is running, and its parts. */
export async function status() {
  const pids = readPids();
  const procs = pids?.processes ?? [];
  const running = procs.filter(stillOurs).map((p) => p.name);
  const ok = procs.length > 0 && running.length === procs.length && (await apiReady());
  return {
    ok,
    running,
    kubeconfig: P.kubeconfig,
    server: `https://${HOST}:${PORTS.api}`,
    ports: pids?.ports ?? PORTS,
  };
}

function startProcess(name, bin, args) {
  fs.mkdirSync(P.logs, { recursive: true });
  const log = fs.openSync(path.join(P.logs, `${name}.log`), 'w');
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', log, log], cwd: RUN });
  fs.closeSync(log);
  child.unref();
  return { name, pid: child.pid, bin };
}

function logTail(name) {
  try {
    return fs
      .readFileSync(path.join(P.logs, `${name}.log`), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-15)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

async function stopRecorded() {
  const pids = readPids();
  for (const proc of [...(pids?.processes ?? [])].reverse()) {
    if (!stillOurs(proc)) continue;
    process.kill(proc.pid, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (isAlive(proc.pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(proc.pid)) process.kill(proc.pid, 'SIGKILL');
  }
  fs.rmSync(P.pids, { force: true });
}

/**
 * Starts the control plane unless it already runs, makes sure the default node pool exists
 * (3 nodes of standard-4 across the three zones, or `nodes`), and resolves its kubeconfig.
 */
export async function up({ nodes = DEFAULT_POOL } = {}) {
  const bins = await ensureBinaries();
  fs.mkdirSync(RUN, { recursive: true });
  return withLock(P.lock, async () => {
    const current = await status();
    if (current.ok) {
      say(`control plane already up (${current.server})`);
    } else {
      await start(bins, current);
    }
    const started = !current.ok;
    if (nodes) {
      const names = await setNodePool(nodes);
      say(
        `node pool ${nodes.pool ?? 'default'}: ${names.length} × ${nodes.instanceType ?? 'standard-4'} across ${ZONES.join(', ')}`,
      );
    }
    return { kubeconfig: P.kubeconfig, server: `https://${HOST}:${PORTS.api}`, started };
  });
}

async function start(bins, current) {
  if (current.running.length) {
    say(`stopping a partly running control plane (${current.running.join(', ')})…`);
  }
  await stopRecorded();
  for (const [what, port] of Object.entries(PORTS)) {
    if (!(await portFree(port))) {
      throw new ToolError(
        `port ${port} (${what}) on ${HOST} is taken by another process: free it or set PRASAR_K8S_*_PORT`,
      );
    }
  }
  const since = Date.now();
  ensureCredentials();
  // A fresh start is a fresh cluster: nothing of an earlier run is kept.
  fs.rmSync(P.etcdData, { recursive: true, force: true });
  const pki = (f) => path.join(P.pki, f);
  const procs = [];
  const record = (proc) => {
    procs.push(proc);
    fs.writeFileSync(P.pids, `${JSON.stringify({ ports: PORTS, processes: procs }, null, 2)}\n`);
    return proc;
  };
  const alive = (proc) => {
    if (!isAlive(proc.pid)) throw new ToolError(`${proc.name} exited:\n${logTail(proc.name)}`);
  };
  try {
    const etcd = record(
      startProcess('etcd', bins.etcd, [
        '--name=prasar-local',
        `--data-dir=${P.etcdData}`,
        `--listen-client-urls=http://${HOST}:${PORTS.etcd}`,
        `--advertise-client-urls=http://${HOST}:${PORTS.etcd}`,
        `--listen-peer-urls=http://${HOST}:${PORTS.etcdPeer}`,
        `--initial-advertise-peer-urls=http://${HOST}:${PORTS.etcdPeer}`,
        `--initial-cluster=prasar-local=http://${HOST}:${PORTS.etcdPeer}`,
        '--log-level=warn',
        '--quota-backend-bytes=2147483648',
      ]),
    );
    await waitFor('etcd', 30_000, async () => {
      alive(etcd);
      const res = await fetch(`http://${HOST}:${PORTS.etcd}/health`);
      return res.ok;
    });
    say(`etcd ${ETCD_VERSION} up on ${HOST}:${PORTS.etcd}`);
    const apiserver = record(
      startProcess('kube-apiserver', bins.apiserver, [
        `--etcd-servers=http://${HOST}:${PORTS.etcd}`,
        `--bind-address=${HOST}`,
        `--advertise-address=${HOST}`,
        `--secure-port=${PORTS.api}`,
        `--cert-dir=${P.pki}`,
        `--tls-cert-file=${pki('apiserver.crt')}`,
        `--tls-private-key-file=${pki('apiserver.key')}`,
        `--client-ca-file=${pki('ca.crt')}`,
        `--token-auth-file=${P.tokens}`,
        '--authorization-mode=RBAC',
        // As in real clusters: privileged pods are possible, and Pod Security admission decides
        // per namespace (without this, validation refuses them first, everywhere).
        '--allow-privileged=true',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${pki('sa.pub')}`,
        `--service-account-signing-key-file=${pki('sa.key')}`,
        '--service-cluster-ip-range=10.96.0.0/16',
        '--profiling=false',
        '--v=1',
      ]),
    );
    await waitFor('kube-apiserver /readyz', 90_000, async () => {
      alive(apiserver);
      return apiReady();
    });
    say(`kube-apiserver ${K8S_VERSION} ready on https://${HOST}:${PORTS.api}`);
    const cm = record(
      startProcess('kube-controller-manager', bins.controllerManager, [
        `--kubeconfig=${path.join(RUN, 'controller-manager.kubeconfig')}`,
        `--bind-address=${HOST}`,
        `--secure-port=${PORTS.controllerManager}`,
        `--cert-dir=${path.join(P.pki, 'controller-manager')}`,
        '--leader-elect=false',
        // No cloud, no pod network: the controllers that need them are left out.
        '--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route',
        `--service-account-private-key-file=${pki('sa.key')}`,
        // Each controller acts as its own ServiceAccount, with the bootstrap RBAC role made for it.
        '--use-service-account-credentials=true',
        `--root-ca-file=${pki('ca.crt')}`,
        '--cluster-name=prasar-local',
        '--profiling=false',
        '--v=1',
      ]),
    );
    const scheduler = record(
      startProcess('kube-scheduler', bins.scheduler, [
        `--kubeconfig=${path.join(RUN, 'scheduler.kubeconfig')}`,
        `--bind-address=${HOST}`,
        `--secure-port=${PORTS.scheduler}`,
        `--cert-dir=${path.join(P.pki, 'scheduler')}`,
        '--leader-elect=false',
        '--profiling=false',
        '--v=1',
      ]),
    );
    const kwok = record(
      startProcess('kwok', bins.kwok, [
        `--kubeconfig=${path.join(RUN, 'kwok.kubeconfig')}`,
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        // Pod IPs are written into pod status, never dialled: a loopback range.
        '--cidr=127.64.0.0/12',
        `--node-ip=${HOST}`,
        // kwok renews a Lease per node only when given its duration; without one the node
        // lifecycle controller sees no heartbeat and marks every node NotReady (tainting it).
        '--node-lease-duration-seconds=40',
        ...bins.kwokStages.flatMap((s) => ['-c', s]),
      ]),
    );
    await waitFor('kube-controller-manager and kube-scheduler /healthz', 60_000, async () => {
      for (const p of [cm, scheduler, kwok]) alive(p);
      return (
        (await healthGet(PORTS.controllerManager, '/healthz')) &&
        (await healthGet(PORTS.scheduler, '/healthz'))
      );
    });
    // Namespaces get their default ServiceAccount from the controller-manager: wait for it.
    await waitFor('the default ServiceAccount', 60_000, async () => {
      const res = await kubeRequest('GET', '/api/v1/namespaces/default/serviceaccounts/default');
      return res.status === 200;
    });
    say(`controller-manager, scheduler and kwok ${KWOK_VERSION} up (control plane in ${seconds(since)})`);
  } catch (e) {
    await stopRecorded();
    throw e;
  }
}

/** Stops the processes `up` started (by the pids it recorded) and removes the cluster's data. */
export async function down() {
  return withLock(P.lock, async () => {
    const pids = readPids();
    const running = (pids?.processes ?? []).filter(stillOurs);
    await stopRecorded();
    fs.rmSync(P.etcdData, { recursive: true, force: true });
    say(running.length ? `stopped ${running.map((p) => p.name).join(', ')}` : 'nothing was running');
    return { stopped: running.map((p) => p.name) };
  });
}

// ---------------------------------------------------------------------------------------------
// CLI

async function main(argv) {
  const json = argv.includes('--json');
  const [command, ...rest] = argv.filter((a) => a !== '--json');
  const option = (name, fallback) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : fallback;
  };
  const pool = () => {
    const count = Number(option('--nodes', DEFAULT_POOL.count));
    if (!Number.isInteger(count) || count < 0) throw new ToolError('--nodes takes a whole number');
    return {
      pool: option('--pool', DEFAULT_POOL.pool),
      count,
      instanceType: option('--instance-type', DEFAULT_POOL.instanceType),
    };
  };
  const print = (value, text) => process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : text);
  if (command === 'ensure') {
    const bins = await ensureBinaries();
    print(
      bins,
      `${[bins.apiserver, bins.controllerManager, bins.scheduler, bins.etcd, bins.kwok].join('\n')}\n`,
    );
    return 0;
  }
  if (command === 'up') {
    const result = await up({ nodes: pool() });
    say(`Kubernetes ${K8S_VERSION} at ${result.server}; stop it with npm run k8s:down`);
    print(result, `export KUBECONFIG=${result.kubeconfig}\n`);
    return 0;
  }
  if (command === 'nodes') {
    const spec = pool();
    const names = await setNodePool(spec);
    print({ ...spec, nodes: names }, `${names.join('\n')}\n`);
    return 0;
  }
  if (command === 'down') {
    const result = await down();
    if (json) print(result, '');
    return 0;
  }
  if (command === 'status') {
    const s = await status();
    print(s, `${JSON.stringify(s, null, 2)}\n`);
    return s.ok ? 0 : 1;
  }
  process.stderr.write(
    'usage: node deploy/k8s/cluster.mjs up [--nodes N] [--instance-type T] [--json]\n' +
      '       node deploy/k8s/cluster.mjs nodes --pool P --nodes N [--instance-type T] [--json]\n' +
      '       node deploy/k8s/cluster.mjs down | status [--json] | ensure [--json]\n',
  );
  return 2;
}

runAsMain(import.meta.url, main, { tag: 'k8s', expected: ToolError });
