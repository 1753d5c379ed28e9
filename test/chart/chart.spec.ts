// The Helm chart (charts/prasar), checked with the real tools: `helm lint --strict` and
// `helm template` over every scenario in ci/, the schema refusing bad values, every rendered object
// validated offline against the Kubernetes 1.34 schemas, golden renders, the helm-unittest suites,
// and checkov on the rendered manifests and the Dockerfile. The tools come from deploy/tools.mjs,
// which builds them once into $PRASAR_HOME/tools (a few minutes on a fresh machine, then instant).
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CHART = join(ROOT, 'charts', 'prasar');
const KUBE_VERSION = '1.34.0';
const RELEASE = { name: 'prasar', namespace: 'prasar' };
/**
 * Kinds defined by CRDs (the Prometheus Operator's): kubernetes-validate has schemas for the core
 * API only, so these are left out of the offline validation, explicitly and by name.
 */
const CRD_KINDS = ['ServiceMonitor', 'PrometheusRule'];
/**
 * Scenarios whose rendered output is checked in (ci/golden/<scenario>.yaml; UPDATE_GOLDEN=1
 * rewrites them). Not full.yaml: it embeds the dashboards and alert rules of files/, which
 * deploy/grafana and deploy/prometheus generate, and their changes are reviewed there.
 */
const GOLDEN = ['dev', 'external-secrets'];
const SCENARIOS = readdirSync(join(CHART, 'ci'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length))
  .sort();
const INVALID = readdirSync(join(__dirname, 'invalid')).filter((f) => f.endsWith('.yaml'));
const YAML_TO_JSON =
  'import json, sys, yaml\njson.dump([d for d in yaml.safe_load_all(sys.stdin) if d is not None], sys.stdout)';

interface Tools {
  helm: string;
  unittest: string;
  python: string;
  kubernetesValidate: string;
  checkov: string;
}

interface K8sObject {
  kind: string;
  apiVersion: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], options: { input?: string; cwd?: string } = {}): Result {
  const res = spawnSync(cmd, args, {
    cwd: options.cwd ?? ROOT,
    input: options.input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (res.error) throw new Error(`${cmd} could not be run: ${res.error.message}`);
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

const output = (r: Result) => `${r.stdout}\n${r.stderr}`.trim();

/** deploy/tools.mjs ensure …: builds what is missing (its progress goes to stderr), then the paths. */
function ensureTools(): Promise<Tools> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['deploy/tools.mjs', 'ensure', 'helm', 'helm-unittest', 'pyvenv', '--json'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => {
      stderr += c;
      process.stderr.write(c); // a first build takes minutes: show its progress as it happens
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(
          new Error(`the chart tools could not be had (deploy/tools.mjs exit ${code}):\n${stderr.trim()}`),
        );
        return;
      }
      const t = JSON.parse(stdout);
      resolve({
        helm: t.helm.bin.helm,
        unittest: t['helm-unittest'].bin['helm-unittest'],
        python: t.pyvenv.bin.python,
        kubernetesValidate: t.pyvenv.bin['kubernetes-validate'],
        checkov: t.pyvenv.bin.checkov,
      });
    });
  });
}

describe('charts/prasar', () => {
  let tools: Tools;
  let work: string;
  const renders = new Map<string, string>();

  beforeAll(async () => {
    tools = await ensureTools();
    work = mkdtempSync(join(tmpdir(), 'prasar-chart-'));
  }, 20 * 60_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const valuesArgs = (files: string[]) => files.flatMap((f) => ['-f', f]);
  const scenarioFile = (scenario: string) => join(CHART, 'ci', `${scenario}.yaml`);

  function template(valueFiles: string[]): Result {
    return run(tools.helm, [
      'template',
      RELEASE.name,
      CHART,
      '--namespace',
      RELEASE.namespace,
      '--kube-version',
      KUBE_VERSION,
      ...valuesArgs(valueFiles),
    ]);
  }

  /** `helm template` of a scenario, once per run. */
  function render(scenario: string): string {
    let text = renders.get(scenario);
    if (text === undefined) {
      const res = template([scenarioFile(scenario)]);
      if (res.status !== 0) throw new Error(`helm template with ci/${scenario}.yaml failed:\n${output(res)}`);
      text = res.stdout;
      renders.set(scenario, text);
    }
    return text;
  }

  function parse(yamlText: string): K8sObject[] {
    const res = run(tools.python, ['-c', YAML_TO_JSON], { input: yamlText });
    if (res.status !== 0) throw new Error(`the rendered YAML does not parse:\n${res.stderr}`);
    return JSON.parse(res.stdout) as K8sObject[];
  }

  it('has scenarios to check', () => {
    expect(SCENARIOS).toEqual(expect.arrayContaining(['dev', 'full', 'external-secrets']));
    expect(INVALID.length).toBeGreaterThan(0);
  });

  it.each(SCENARIOS)('passes helm lint --strict with ci/%s.yaml', (scenario) => {
    const res = run(tools.helm, [
      'lint',
      '--strict',
      CHART,
      '--namespace',
      RELEASE.namespace,
      '--kube-version',
      KUBE_VERSION,
      ...valuesArgs([scenarioFile(scenario)]),
    ]);
    expect({ status: res.status, output: output(res) }).toEqual({ status: 0, output: expect.any(String) });
    expect(res.stdout).toContain('0 chart(s) failed');
  });

  it.each(SCENARIOS)(
    'renders ci/%s.yaml into objects valid for Kubernetes 1.34 (CRD kinds excepted)',
    (scenario) => {
      const objects = parse(render(scenario));
      expect(objects.length).toBeGreaterThan(0);
      const core = objects.filter((o) => !CRD_KINDS.includes(o.kind));
      const file = join(work, `${scenario}.core.yaml`);
      // JSON documents are YAML documents: one per object.
      writeFileSync(file, core.map((o) => `---\n${JSON.stringify(o)}\n`).join(''));
      const res = run(tools.kubernetesValidate, ['--kubernetes-version', KUBE_VERSION, '--strict', file]);
      expect({ status: res.status, output: output(res) }).toEqual({ status: 0, output: expect.any(String) });
      expect(res.stdout.match(/passed for resource/g)).toHaveLength(core.length);
      // Every object lands in the release's namespace (nothing in "default" by accident).
      expect(objects.filter((o) => o.metadata.namespace !== RELEASE.namespace)).toEqual([]);
    },
  );

  it.each(SCENARIOS)('runs every pod of ci/%s.yaml non-root, read-only, capability-free', (scenario) => {
    type Container = {
      name: string;
      resources?: { limits?: object; requests?: object };
      securityContext?: Record<string, unknown>;
    };
    type PodSpec = {
      automountServiceAccountToken?: boolean;
      securityContext?: Record<string, unknown>;
      containers: Container[];
    };
    const pods = parse(render(scenario))
      .filter((o) => o.kind === 'Deployment' || o.kind === 'Job')
      .map((o) => ({
        name: `${o.kind}/${o.metadata.name}`,
        spec: (o.spec as { template: { spec: PodSpec } }).template.spec,
      }));
    expect(pods.length).toBeGreaterThan(0);
    for (const { name, spec } of pods) {
      expect({ name, automount: spec.automountServiceAccountToken }).toEqual({ name, automount: false });
      expect({ name, ...spec.securityContext }).toMatchObject({
        name,
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const c of spec.containers) {
        expect({ name, container: c.name, ...c.securityContext }).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.resources?.limits).toBeDefined();
        expect(c.resources?.requests).toBeDefined();
      }
    }
  });

  it('renders the golden scenarios exactly as checked in (UPDATE_GOLDEN=1 rewrites them)', () => {
    const dir = join(CHART, 'ci', 'golden');
    for (const scenario of GOLDEN) {
      const file = join(dir, `${scenario}.yaml`);
      const rendered = render(scenario);
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(dir, { recursive: true });
        writeFileSync(file, rendered);
        continue;
      }
      if (!existsSync(file)) throw new Error(`${file} is missing: run with UPDATE_GOLDEN=1 and review it`);
      // toEqual on the text shows a line diff of what changed.
      expect({ scenario, rendered }).toEqual({ scenario, rendered: readFileSync(file, 'utf8') });
    }
  });

  it.each(INVALID)('refuses test/chart/invalid/%s through values.schema.json', (name) => {
    const file = join(__dirname, 'invalid', name);
    const expected = /^# refused: (.+)$/m.exec(readFileSync(file, 'utf8'))?.[1];
    if (!expected) throw new Error(`${name} must say on its first line "# refused: <part of the error>"`);
    const res = template([scenarioFile('dev'), file]);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain("values don't meet the specifications of the schema");
    expect(res.stderr).toContain(expected);
  });

  it('passes the helm-unittest suites (charts/prasar/tests)', () => {
    const res = run(tools.unittest, ['--strict', '--color=false', CHART]);
    if (res.status !== 0) throw new Error(`helm-unittest failed:\n${output(res)}`);
    expect(res.stdout).toMatch(/Test Suites: +\d+ passed, \d+ total/);
    expect(res.stdout).not.toMatch(/failed/i);
  });

  it('leaves no checkov finding unexplained, in the rendered manifests or the Dockerfile', () => {
    const configFile = join(CHART, '.checkov.yaml');
    // Each skip in the config carries its reason on the comment line just above it.
    const lines = readFileSync(configFile, 'utf8').split('\n');
    const skipped = lines.flatMap((line, i) => {
      const id = /^\s*-\s*(CKV2?_[A-Z0-9_]+)\s*$/.exec(line)?.[1];
      return id ? [{ id, reason: lines[i - 1]?.trim() ?? '' }] : [];
    });
    expect(skipped.length).toBeGreaterThan(0);
    for (const { id, reason } of skipped) {
      expect({ id, reason }).toEqual({
        id,
        reason: expect.stringMatching(new RegExp(`^# ${id} \\(.+\\): .{20,}`)),
      });
    }

    const dir = join(work, 'checkov');
    mkdirSync(dir, { recursive: true });
    for (const scenario of SCENARIOS) writeFileSync(join(dir, `${scenario}.yaml`), render(scenario));
    const failures: string[] = [];
    const scan = (what: string, args: string[]) => {
      // --skip-download: no calls to the vendor's API (this network has none anyway).
      const res = run(tools.checkov, [...args, '--skip-download', '--compact', '-o', 'json'], { cwd: work });
      const report = JSON.parse(res.stdout) as {
        summary: { failed: number; parsing_errors: number; resource_count: number };
        results: { failed_checks?: { check_id: string; resource: string; file_path: string }[] };
      };
      expect({ what, parsingErrors: report.summary.parsing_errors }).toEqual({ what, parsingErrors: 0 });
      expect(report.summary.resource_count).toBeGreaterThan(0);
      for (const c of report.results.failed_checks ?? [])
        failures.push(`${what}: ${c.check_id} ${c.resource} (${c.file_path})`);
    };
    scan('chart', ['-d', dir, '--framework', 'kubernetes', '--config-file', configFile]);
    // The Dockerfile's two skips are inline, with their reasons, next to what they are about.
    scan('Dockerfile', ['-f', join(ROOT, 'deploy', 'docker', 'Dockerfile'), '--framework', 'dockerfile']);
    expect(failures).toEqual([]);
  });
});
