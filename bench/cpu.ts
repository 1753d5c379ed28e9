// CPU time per component over a phase, from /proc (Linux): the platform's processes (children of
// this process, named by their entry), PostgreSQL, the Kafka broker (java), this client, and the rest.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

function component(pid: number, comm: string, ppid: number): string {
  if (pid === process.pid) return 'bench client';
  if (ppid === process.pid) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const m = /services\/([a-z-]+)\//.exec(cmd);
      if (m) return m[1];
    } catch {
      // gone
    }
  }
  if (comm === 'postgres') return 'postgres';
  if (comm === 'java') return 'kafka (java)';
  return 'other';
}

export type CpuSnapshot = { at: number; ticks: Map<string, number> };

export function cpuSnapshot(): CpuSnapshot | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return null;
  }
  const ticks = new Map<string, number>();
  for (const e of entries) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      // After the comm: state(0) ppid(1) ... utime(11) stime(12)
      const name = component(Number(e), comm, Number(f[1]));
      ticks.set(name, (ticks.get(name) ?? 0) + Number(f[11]) + Number(f[12]));
    } catch {
      // the process ended meanwhile
    }
  }
  return { at: Date.now(), ticks };
}

/** Cores used per component between two snapshots, busiest first, e.g. `scheduler 0.41`. */
export function cpuBetween(a: CpuSnapshot | null, b: CpuSnapshot | null): { name: string; cores: number }[] {
  if (!a || !b) return [];
  const seconds = (b.at - a.at) / 1000;
  return [...b.ticks.entries()]
    .map(([name, t]) => ({ name, cores: (t - (a.ticks.get(name) ?? 0)) / TICKS_PER_SECOND / seconds }))
    .filter((x) => x.cores > 0.005)
    .sort((x, y) => y.cores - x.cores);
}

export function describeCpu(usage: { name: string; cores: number }[]): string {
  if (!usage.length) return 'CPU not sampled';
  const total = usage.reduce((n, u) => n + u.cores, 0);
  return `CPU ${total.toFixed(2)} cores busy: ${usage.map((u) => `${u.name} ${u.cores.toFixed(2)}`).join(', ')}`;
}
