// A consumer killed with SIGKILL (no chance to leave its group) has its partitions moved to the
// group's survivor within 10 s, with the library's session timeout, heartbeat and fetch wait, on
// the real broker. Each member is a process of its own (__fixtures__/group-member.ts) in a group
// and on a topic of this spec's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import { AssignerProtocol, type Admin } from 'kafkajs';
import { eventually, readInfraEnv } from '@prasar/testing';
import { createKafka } from './client';

const env = readInfraEnv();
const ROOT = join(__dirname, '../../..');

describe('a killed consumer', () => {
  const run = randomUUID().slice(0, 8);
  const topic = `prasar.rebalance-${run}.v1`;
  const group = `rebalance-${run}`;
  let admin: Admin;
  const members: ChildProcess[] = [];

  beforeAll(async () => {
    admin = createKafka(`rebalance-${run}`, env.KAFKA_BROKERS.split(','), pino({ level: 'silent' })).admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 6, replicationFactor: 1 }],
    });
  });

  afterAll(async () => {
    for (const m of members) if (m.exitCode === null && m.signalCode === null) m.kill('SIGKILL');
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  /** Starts a member and resolves once it holds partitions. */
  function member(): Promise<ChildProcess> {
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', 'libs/kafka/src/__fixtures__/group-member.ts'],
      {
        cwd: ROOT,
        env: { ...process.env, KAFKA_BROKERS: env.KAFKA_BROKERS, GROUP_ID: group, TOPIC: topic },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    members.push(child);
    return new Promise((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('assigned')) resolve(child);
      });
      child.once('exit', (code) => reject(new Error(`a group member exited with ${code}`)));
    });
  }

  /** Each member's client id and how many partitions it holds, once the group is stable. */
  async function assignment(): Promise<Record<string, number>> {
    const { groups } = await admin.describeGroups([group]);
    const g = groups[0];
    if (g?.state !== 'Stable') throw new Error(`group ${g?.state}`);
    return Object.fromEntries(
      g.members.map((m) => [
        m.clientId,
        Object.values(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {}).reduce(
          (n, ps) => n + ps.length,
          0,
        ),
      ]),
    );
  }

  it("has its partitions moved to the group's survivor within 10 s", async () => {
    const survivor = await member();
    const victim = await member();
    await eventually(async () => {
      expect(await assignment()).toEqual({
        [`member-${survivor.pid}`]: 3,
        [`member-${victim.pid}`]: 3,
      });
    }, 60_000);

    const killedAt = Date.now();
    victim.kill('SIGKILL');
    await eventually(
      async () => expect(await assignment()).toEqual({ [`member-${survivor.pid}`]: 6 }),
      30_000,
      100,
    );
    const movedMs = Date.now() - killedAt;
    process.stdout.write(`partitions moved ${movedMs} ms after the kill\n`);
    expect(movedMs).toBeLessThan(10_000);
  }, 120_000);
});
