// Writes the dashboards (deploy/grafana/dashboards/*.json) and copies them and the alert rules
// into the Helm chart's files/. `--check` fails when any written file is stale.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildDashboard, DASHBOARDS } from './dashboards';

const ROOT = join(__dirname, '..', '..');

export function renderedFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const spec of DASHBOARDS) {
    const json = `${JSON.stringify(buildDashboard(spec), null, 2)}\n`;
    files[`deploy/grafana/dashboards/${spec.uid}.json`] = json;
    files[`charts/prasar/files/dashboards/${spec.uid}.json`] = json;
  }
  files['charts/prasar/files/prometheus/alerts.yaml'] = readFileSync(
    join(ROOT, 'deploy/prometheus/alerts.yaml'),
    'utf8',
  );
  return files;
}

function main() {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const [path, content] of Object.entries(renderedFiles())) {
    const full = join(ROOT, path);
    const current = existsSync(full) ? readFileSync(full, 'utf8') : undefined;
    if (current === content) continue;
    if (check) stale.push(path);
    else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
      process.stdout.write(`wrote ${path}\n`);
    }
  }
  if (stale.length) {
    process.stderr.write(
      `stale (run: node scripts/run-ts.mjs deploy/grafana/generate.ts):\n  ${stale.join('\n  ')}\n`,
    );
    process.exit(1);
  }
}

if (require.main === module) main();
