// Consumer lag of the platform's groups (prasar-<service>), to start a timed phase only once the
// services have caught up with everything the setup produced.
import pino from 'pino';
import { createKafka } from '@prasar/kafka';
import type { InfraEnv } from '@prasar/testing';
import { sleep } from './util';

export async function totalLag(env: InfraEnv, groups: string[]): Promise<number> {
  const kafka = createKafka('prasar-bench-lag', env.KAFKA_BROKERS.split(','), pino({ level: 'error' }));
  const admin = kafka.admin();
  await admin.connect();
  try {
    let lag = 0;
    const highs = new Map<string, Map<number, number>>();
    for (const groupId of groups) {
      const committed = await admin.fetchOffsets({ groupId });
      for (const t of committed) {
        if (t.topic.endsWith('.dlq') || t.topic.endsWith('-dlq')) continue;
        if (!highs.has(t.topic)) {
          const offsets = await admin.fetchTopicOffsets(t.topic);
          highs.set(t.topic, new Map(offsets.map((o) => [o.partition, Number(o.high)])));
        }
        for (const p of t.partitions) {
          const high = highs.get(t.topic)!.get(p.partition) ?? 0;
          const at = Number(p.offset);
          lag += Math.max(0, high - (at < 0 ? 0 : at));
        }
      }
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

/** Waits (at most `timeoutMs`) until the groups' lag stays at most `slack` for two checks in a row; returns the ms waited. */
export async function waitForQuiet(
  env: InfraEnv,
  groups: string[],
  timeoutMs: number,
  slack = 0,
): Promise<{ waitedMs: number; lag: number; detail: string }> {
  const start = Date.now();
  let calm = 0;
  let lags: [string, number][] = [];
  while (Date.now() - start < timeoutMs) {
    lags = [];
    for (const g of groups) lags.push([g, await totalLag(env, [g])]);
    const lag = lags.reduce((n, [, l]) => n + l, 0);
    calm = lag <= slack ? calm + 1 : 0;
    if (calm >= 2) break;
    await sleep(500);
  }
  const lag = lags.reduce((n, [, l]) => n + l, 0);
  const detail = lag
    ? `still lagging: ${lags
        .filter(([, l]) => l)
        .map(([g, l]) => `${g} ${l}`)
        .join(', ')}`
    : 'lag 0';
  return { waitedMs: Date.now() - start, lag, detail };
}
