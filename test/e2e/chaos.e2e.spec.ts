// The platform's own chaos run: contents to X and Facebook go through the gateway (create, submit,
// approve, schedule at the next free slot) a few a second while intake, the scheduler and the
// publisher are killed with SIGKILL and restarted, one every few seconds. Once the platform is
// quiet, every content is read through the gateway, as a department sees it, and compared with the
// simulator's ledger (the platforms' ground truth): no post lost, none duplicated, no status that
// is not final, no status that disagrees with what is live. Services run from their built form,
// as the images run them.
import { randomUUID } from 'node:crypto';
import {
  platformSim,
  portsFor,
  startStack,
  type PlatformSim,
  type RunningStack,
  type SimLedgerEntry,
} from '@prasar/testing';
import {
  connectTargets,
  createDepartment,
  publishContent,
  statusOf,
  type Department,
  type Targets,
} from './pipeline';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const stackDefinitions = require('../../libs/testing/src/stack.cjs') as { simAdminToken: () => string };

const PORTS = portsFor(21000);
const CONTENTS = 40;
/** Contents started per second. */
const RATE = 2;
/** Kills at least (each victim twice), the last ones while posts are going out. */
const MIN_KILLS = 6;
/** A kill every this often, of these services in turn; each is started again after RESTART_AFTER_MS. */
const KILL_EVERY_MS = 4_000;
const RESTART_AFTER_MS = 1_000;
const VICTIMS = ['intake', 'scheduler', 'publisher'] as const;
const FINAL = ['PUBLISHED', 'PARTIALLY_PUBLISHED', 'FAILED'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('chaos: services killed and restarted while contents are published', () => {
  let stack: RunningStack;
  let sim: PlatformSim;
  let dept: Department;
  const run = randomUUID().slice(0, 8);

  beforeAll(async () => {
    stack = await startStack({ ports: PORTS, built: true });
    sim = platformSim({ baseUrl: stack.urls['platform-sim'], adminToken: stackDefinitions.simAdminToken() });
    dept = await createDepartment(stack, `chaos-${run}`);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('loses no post, duplicates none, and every status is final and agrees with the ledger', async () => {
    // Accounts first (X paces an account to one post per 10 minutes: each content has its own).
    const targets: Targets[] = [];
    for (let i = 0; i < CONTENTS; i += 4) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(4, CONTENTS - i) }, (_, j) =>
          connectTargets(stack, sim, dept, `${run}_${i + j}`, i + j),
        ),
      );
      targets.push(...batch);
    }

    // The killer: one service every KILL_EVERY_MS, restarted RESTART_AFTER_MS later, until it is
    // told to stop and has killed MIN_KILLS times.
    const kills: string[] = [];
    let killing = true;
    const killer = (async () => {
      for (let k = 0; killing || k < MIN_KILLS; k++) {
        await sleep(KILL_EVERY_MS - RESTART_AFTER_MS);
        const victim = VICTIMS[k % VICTIMS.length] as string;
        await stack.killService(victim);
        kills.push(victim);
        await sleep(RESTART_AFTER_MS);
        await stack.startService(victim);
      }
    })();

    // Contents started RATE a second, each pushed through until scheduled.
    const ids: (string | undefined)[] = [];
    const errors: string[] = [];
    const started: Promise<void>[] = [];
    for (let i = 0; i < CONTENTS; i++) {
      started.push(
        publishContent(
          stack,
          dept,
          targets[i] as Targets,
          `मुख्यमंत्री किसान कल्याण योजना की किस्त जारी (${run}-${i})`,
          `${run}-${i}`,
          150_000,
        ).then(
          (id) => {
            ids[i] = id;
          },
          (err: Error) => {
            errors.push(`content ${i}: ${err.message.slice(0, 300)}`);
          },
        ),
      );
      await sleep(1000 / RATE);
    }
    await Promise.all(started);
    // One more kill while the posts go out, then everything up again.
    await sleep(KILL_EVERY_MS);
    killing = false;
    await killer;
    expect(errors).toEqual([]);
    expect(kills.length).toBeGreaterThanOrEqual(MIN_KILLS);

    // Quiescence: every content's status final (bounded), read through the gateway.
    const statuses = new Map<number, string | null>();
    const deadline = Date.now() + 90_000;
    for (;;) {
      await Promise.all(
        ids.map(async (id, i) => {
          if (!FINAL.includes(statuses.get(i) ?? ''))
            statuses.set(i, id ? await statusOf(stack, dept, id) : null);
        }),
      );
      if ([...statuses.values()].every((s) => FINAL.includes(s ?? '')) || Date.now() > deadline) break;
      await sleep(1_000);
    }
    await sim.settle();
    // The statuses as they are now, every one read again: none may have moved since.
    await Promise.all(ids.map(async (id, i) => statuses.set(i, id ? await statusOf(stack, dept, id) : null)));

    // Against the ledger: each target posted exactly once; the status is what is live.
    const ledger = await sim.ledger();
    const postsOf = (account: string) => ledger.filter((e: SimLedgerEntry) => e.account === account).length;
    const lost: string[] = [];
    const duplicated: string[] = [];
    const notFinal: string[] = [];
    const disagrees: string[] = [];
    for (let i = 0; i < CONTENTS; i++) {
      const t = targets[i] as Targets;
      const posts = [postsOf(t.external.X), postsOf(t.external.FACEBOOK)];
      const status = statuses.get(i) ?? null;
      posts.forEach((n, p) => {
        const where = `content ${i} (${ids[i]}) on ${p === 0 ? 'X' : 'Facebook'}`;
        if (n === 0) lost.push(where);
        if (n > 1) duplicated.push(`${where}: ${n} posts`);
      });
      if (!FINAL.includes(status ?? '')) notFinal.push(`content ${i} (${ids[i]}): ${status}`);
      const live = posts.filter((n) => n > 0).length;
      const expected = live === 2 ? 'PUBLISHED' : live === 0 ? 'FAILED' : 'PARTIALLY_PUBLISHED';
      if (status !== expected)
        disagrees.push(`content ${i} (${ids[i]}): status ${status}, ledger says ${expected}`);
    }
    process.stdout.write(
      `chaos run: ${CONTENTS} contents, ${kills.length} kills (${kills.join(' ')}), ` +
        `lost ${lost.length}, duplicated ${duplicated.length}, not final ${notFinal.length}, ` +
        `disagreeing ${disagrees.length}\n`,
    );
    expect({ lost, duplicated, notFinal, disagrees }).toEqual({
      lost: [],
      duplicated: [],
      notFinal: [],
      disagrees: [],
    });
  }, 300_000);
});
