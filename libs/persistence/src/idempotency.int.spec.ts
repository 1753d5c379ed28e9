// Idempotent creation against the real PostgreSQL: one effect per key, whatever the repeats and races.
import { randomUUID } from 'node:crypto';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { departmentIdOf, type Principal } from '@prasar/auth';
import { scratchDatabase } from '@prasar/testing';
import { createServiceDataSource, type DataSource, type EntityManager } from './index';
import {
  IDEMPOTENCY_RETENTION_MS,
  IdempotencyKeys1764900000000,
  idempotent,
  pruneIdempotencyKeys,
  requestFingerprint,
} from './idempotency';
import { migrate } from './migrate';
import { asCaller, asPlatform, enableTenantIsolation } from './tenancy';

class Things1700000000000 implements MigrationInterface {
  name = 'Things1700000000000';
  async up(q: QueryRunner) {
    await q.query(
      `CREATE TABLE things (id uuid PRIMARY KEY, department_id uuid NOT NULL, name text NOT NULL)`,
    );
    await enableTenantIsolation(q, 'things');
  }
  async down(q: QueryRunner) {
    await q.query(`DROP TABLE things`);
  }
}

const editor = (subject: string, department = 'agriculture'): Principal => ({
  subject,
  name: subject,
  roles: ['DEPT_EDITOR'],
  departmentCode: department,
  departmentId: departmentIdOf(department),
});

interface Thing {
  id: string;
  name: string;
}

describe('idempotent creation', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let ds: DataSource;

  /** A create mutation over `things`, as a service writes one. */
  const createThing = (caller: Principal, name: string, key?: string | null, now?: Date): Promise<Thing> =>
    asCaller(ds, caller, (em: EntityManager) =>
      idempotent<Thing>(em, {
        operation: 'createThing',
        caller,
        idempotency: { key, request: { name } },
        now,
        create: async () => {
          const thing = { id: randomUUID(), name };
          await em.query(`INSERT INTO things (id, department_id, name) VALUES ($1, $2, $3)`, [
            thing.id,
            caller.departmentId,
            name,
          ]);
          return thing;
        },
        idOf: (t) => t.id,
        replay: async (id) => {
          const [row] = (await em.query(`SELECT id, name FROM things WHERE id = $1`, [id])) as Thing[];
          return row ?? null;
        },
      }),
    );

  const count = async (): Promise<number> =>
    (await asPlatform(ds, (em) => em.query(`SELECT count(*)::int AS n FROM things`)))[0].n;

  beforeAll(async () => {
    db = await scratchDatabase('idempotency');
    ds = createServiceDataSource({
      service: 'idempotency-test',
      url: db.url,
      entities: [],
      migrations: [Things1700000000000, IdempotencyKeys1764900000000],
      poolSize: 12,
    });
    await ds.initialize();
    await migrate(ds);
  });

  beforeEach(async () => {
    await asPlatform(ds, async (em) => {
      await em.query(`DELETE FROM things`);
      await em.query(`DELETE FROM prasar_idempotency_keys`);
    });
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('answers a repeat with the same key and input with the first result, and creates once', async () => {
    const alice = editor('alice');
    const first = await createThing(alice, 'seeds', 'k-1');
    const again = await createThing(alice, 'seeds', 'k-1');
    expect(again).toEqual(first);
    expect(await count()).toBe(1);
  });

  it('refuses the same key with another input as CONFLICT and changes nothing', async () => {
    const alice = editor('alice');
    const first = await createThing(alice, 'seeds', 'k-2');
    await expect(createThing(alice, 'tractors', 'k-2')).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/already used for createThing with a different input/),
    });
    expect(await count()).toBe(1);
    expect(await createThing(alice, 'seeds', 'k-2')).toEqual(first);
  });

  it('creates once when many requests with one key race', async () => {
    const alice = editor('alice');
    const results = await Promise.all(
      Array.from({ length: 8 }, () => createThing(alice, 'racing', 'k-race')),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(await count()).toBe(1);
  });

  it('keeps keys per caller: another caller, even of the same department, is independent', async () => {
    const a = await createThing(editor('alice'), 'seeds', 'shared');
    const b = await createThing(editor('bob'), 'seeds', 'shared');
    const c = await createThing(editor('carol', 'health'), 'other', 'shared');
    expect(new Set([a.id, b.id, c.id]).size).toBe(3);
    expect(await count()).toBe(3);
  });

  it('runs every request without a key', async () => {
    const alice = editor('alice');
    await createThing(alice, 'seeds');
    await createThing(alice, 'seeds', null);
    expect(await count()).toBe(2);
  });

  it('refuses a key that is empty, too long or not printable with BAD_USER_INPUT, and creates nothing', async () => {
    const alice = editor('alice');
    for (const key of ['', 'a'.repeat(201), 'nul\u0000byte', 'with space', 'tab\there', 'क्लिक'])
      await expect(createThing(alice, 'seeds', key)).rejects.toMatchObject({
        code: 'BAD_USER_INPUT',
        violations: [expect.objectContaining({ field: 'idempotencyKey', rule: 'IDEMPOTENCY_KEY' })],
      });
    expect(await createThing(alice, 'seeds', 'a'.repeat(200))).toMatchObject({ name: 'seeds' });
    expect(await count()).toBe(1);
  });

  it('leaves the key unused when the effect fails', async () => {
    const alice = editor('alice');
    await expect(
      asCaller(ds, alice, (em) =>
        idempotent(em, {
          operation: 'createThing',
          caller: alice,
          idempotency: { key: 'k-fail', request: { name: 'x' } },
          create: () => Promise.reject(new Error('effect failed')),
          idOf: () => 'never',
          replay: () => Promise.resolve(null),
        }),
      ),
    ).rejects.toThrow('effect failed');
    expect(await createThing(alice, 'other input', 'k-fail')).toMatchObject({ name: 'other input' });
  });

  it('honours a key for the retention, then forgets it and prunes it', async () => {
    const alice = editor('alice');
    const t0 = new Date('2026-01-01T00:00:00Z');
    const first = await createThing(alice, 'seeds', 'k-old', t0);
    const withinRetention = new Date(t0.getTime() + IDEMPOTENCY_RETENTION_MS - 1000);
    expect(await createThing(alice, 'seeds', 'k-old', withinRetention)).toEqual(first);
    const afterRetention = new Date(t0.getTime() + IDEMPOTENCY_RETENTION_MS + 1000);
    const fresh = await createThing(alice, 'tractors', 'k-old', afterRetention);
    expect(fresh.id).not.toBe(first.id);
    expect(await count()).toBe(2);

    await createThing(editor('bob'), 'seeds', 'k-bob', t0);
    const pruned = await asPlatform(ds, (em) => pruneIdempotencyKeys(em, afterRetention));
    expect(pruned).toBe(1);
    const keys = await asPlatform(ds, (em) => em.query(`SELECT caller, key FROM prasar_idempotency_keys`));
    expect(keys).toEqual([{ caller: 'alice', key: 'k-old' }]);
  });

  it('shows a department only its own keys (row-level security)', async () => {
    await createThing(editor('alice'), 'seeds', 'k-rls');
    await createThing(editor('carol', 'health'), 'seeds', 'k-rls');
    const seenByHealth = await asCaller(ds, editor('carol', 'health'), (em) =>
      em.query(`SELECT caller FROM prasar_idempotency_keys`),
    );
    expect(seenByHealth).toEqual([{ caller: 'carol' }]);
  });

  it('fingerprints the canonical input: key order and null versus absent do not matter', () => {
    const when = new Date('2026-01-01T00:00:00Z');
    expect(requestFingerprint({ a: 1, b: { c: [1, 2], d: null }, when })).toBe(
      requestFingerprint({ when: new Date(when), b: { c: [1, 2] }, a: 1 }),
    );
    expect(requestFingerprint({ a: [1, 2] })).not.toBe(requestFingerprint({ a: [2, 1] }));
    expect(requestFingerprint({ a: '1' })).not.toBe(requestFingerprint({ a: 1 }));
  });
});
