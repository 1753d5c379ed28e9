// Results: one line per number (`name: value unit (ratio × ceiling)`), a markdown table and small
// JSON files under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export interface Measurement {
  name: string;
  value: number | null;
  unit: string;
  /** The ceiling it is read against: another measurement's name, with the ratio filled in. */
  ceiling?: string;
  ratio?: number;
  /** A target from the brief, e.g. `≥ 200`. */
  target?: string;
  detail?: string;
}

export function write(text: string): void {
  process.stdout.write(text);
}

function fmt(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** Fills ratio from the named ceiling measurement when both are known. */
export function withRatio(m: Measurement, all: Measurement[]): Measurement {
  if (!m.ceiling || m.value === null) return m;
  const c = all.find((x) => x.name === m.ceiling);
  if (!c || !c.value) return m;
  return { ...m, ratio: m.value / c.value };
}

export function line(m: Measurement): string {
  const ratio = m.ratio !== undefined ? ` (${m.ratio.toFixed(3)} × ${m.ceiling})` : '';
  return `${m.name}: ${fmt(m.value)} ${m.unit}${ratio}`;
}

export function table(ms: Measurement[]): string {
  const rows = ms.map(
    (m) =>
      `| ${m.name} | ${fmt(m.value)} ${m.unit} | ${m.ratio !== undefined ? `${m.ratio.toFixed(3)} × ${m.ceiling}` : ''} | ${m.target ?? ''} | ${m.detail ?? ''} |`,
  );
  return ['| measurement | value | vs ceiling | target | notes |', '|---|---|---|---|---|', ...rows].join(
    '\n',
  );
}

export function machine() {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export function saveResults(
  dir: string,
  result: object,
  options: { latest: boolean },
): { file: string; latest?: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(dir, `${options.latest ? '' : 'partial-'}${stamp}.json`);
  const text = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(file, text);
  if (!options.latest) return { file };
  const latest = join(dir, 'latest.json');
  writeFileSync(latest, text);
  return { file, latest };
}
