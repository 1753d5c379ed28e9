// The alert rules are valid and each one fires (and stays quiet) as its unit tests say.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { renderedFiles } from '../../deploy/grafana/generate';

const ROOT = join(__dirname, '..', '..');
const run = (args: string[]) =>
  spawnSync('promtool', args, { cwd: join(ROOT, 'deploy/prometheus'), encoding: 'utf8' });

describe('Prometheus alert rules', () => {
  it('pass promtool check rules', () => {
    const res = run(['check', 'rules', 'alerts.yaml']);
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain('SUCCESS: 7 rules found');
  });

  it('fire as their promtool unit tests expect', () => {
    const res = run(['test', 'rules', 'tests/alerts.test.yaml']);
    expect(`${res.stdout}${res.stderr}`).toContain('SUCCESS');
    expect(res.status).toBe(0);
  });

  it('every alert has a unit test that makes it fire', () => {
    const rules = spawnSync('grep', ['-ho', 'alert: [A-Za-z]*', 'alerts.yaml'], {
      cwd: join(ROOT, 'deploy/prometheus'),
      encoding: 'utf8',
    });
    const tested = spawnSync('grep', ['-ho', 'alertname: [A-Za-z]*', 'tests/alerts.test.yaml'], {
      cwd: join(ROOT, 'deploy/prometheus'),
      encoding: 'utf8',
    });
    const names = new Set(
      rules.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace('alert: ', '')),
    );
    const testedNames = new Set(
      tested.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace('alertname: ', '')),
    );
    expect([...names].sort()).toEqual([...testedNames].sort());
  });
});

describe('dashboards as code', () => {
  it('the generated dashboards and the chart copies are fresh', async () => {
    const { readFileSync } = await import('node:fs');
    for (const [path, content] of Object.entries(renderedFiles())) {
      expect({ path, fresh: readFileSync(join(ROOT, path), 'utf8') === content }).toEqual({
        path,
        fresh: true,
      });
    }
  });
});
