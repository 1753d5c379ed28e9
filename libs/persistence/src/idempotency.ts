import { createHash } from 'node:crypto';
import type { EntityManager, MigrationInterface, QueryRunner } from 'typeorm';
import { BadInputError, ConflictError, type Principal } from '@prasar/auth';
import { enableTenantIsolation, TENANT_SETTING } from './tenancy';

/** How long a key is honoured: a repeat within it returns the first result; after it, keys are pruned. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

/** The longest key accepted. */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 200;

/** Expired keys deleted, at most, by each keyed request (amortised pruning, no extra loop). */
const PRUNE_BATCH = 100;

const KEY_PATTERN = new RegExp(`^[\\x21-\\x7E]{1,${IDEMPOTENCY_KEY_MAX_LENGTH}}$`);

/**
 * Migration: the table every service with a create mutation keeps its idempotency keys in. Keyed
 * by the transaction's tenant, the caller (the token's subject), the operation and the key; the
 * primary key is what makes two racing requests with one key produce one effect. Row-level
 * security on the tenant column, like every tenant table.
 */
export class IdempotencyKeys1764900000000 implements MigrationInterface {
  name = 'IdempotencyKeys1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE prasar_idempotency_keys (
        tenant      text NOT NULL,
        caller      text NOT NULL,
        operation   text NOT NULL,
        key         text NOT NULL,
        fingerprint text NOT NULL,
        result_id   text,
        created_at  timestamptz NOT NULL,
        PRIMARY KEY (tenant, caller, operation, key)
      )`);
    await q.query(`CREATE INDEX prasar_idempotency_keys_created ON prasar_idempotency_keys (created_at)`);
    await enableTenantIsolation(q, 'prasar_idempotency_keys', 'tenant');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE prasar_idempotency_keys`);
  }
}

/** A client-chosen key and the request it came with (the arguments, without the key). */
export interface IdempotencyRequest {
  key?: string | null;
  request: unknown;
}

export interface IdempotentCreate<T> {
  /** The mutation's name, e.g. `createContent`: a key is scoped per caller and per operation. */
  operation: string;
  caller: Principal;
  idempotency?: IdempotencyRequest;
  /** The effect, in the caller's transaction `em` (which the key row shares). */
  create: () => Promise<T>;
  /** The id of what `create` made, stored with the key. */
  idOf: (result: T) => string;
  /** What a repeat answers: the object the first request made, as it is now (null: gone). */
  replay: (id: string) => Promise<T | null>;
  now?: Date;
}

/** Refuses a key that is empty, too long, or not printable ASCII (spaces and control characters included). */
export function checkIdempotencyKey(key: string): void {
  if (!KEY_PATTERN.test(key))
    throw new BadInputError('The idempotency key is not valid', [
      {
        field: 'idempotencyKey',
        rule: 'IDEMPOTENCY_KEY',
        message: `An idempotency key is 1-${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters without spaces`,
      },
    ]);
}

/**
 * The request's fingerprint: SHA-256 of its canonical JSON (object keys sorted, null and absent
 * alike, dates as ISO strings), so the same input however sent gives the same fingerprint.
 */
export function requestFingerprint(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Runs a create mutation at most once per key. Without a key it simply runs `create`. With one,
 * in the caller's transaction (`em`, tenant already set) and before the effect, it claims the key:
 * - a new key (or one older than the retention) runs `create` and stores the result's id with the
 *   key, in the same transaction, so a failed effect leaves the key unused;
 * - a key already used with the same request answers the first result (no second effect);
 * - a key already used with another request is CONFLICT, and nothing changes;
 * - a racing request with the same key waits on the primary key until the first commits, then
 *   answers its result (or, if the first failed, claims the key itself).
 */
export async function idempotent<T>(em: EntityManager, op: IdempotentCreate<T>): Promise<T> {
  const key = op.idempotency?.key;
  if (key === null || key === undefined) return op.create();
  checkIdempotencyKey(key);
  const now = op.now ?? new Date();
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_RETENTION_MS);
  const fingerprint = requestFingerprint(op.idempotency?.request);

  await pruneIdempotencyKeys(em, now, PRUNE_BATCH);
  const claimed: unknown[] = await em.query(
    `INSERT INTO prasar_idempotency_keys (tenant, caller, operation, key, fingerprint, result_id, created_at)
     VALUES (current_setting('${TENANT_SETTING}', true), $1, $2, $3, $4, NULL, $5)
     ON CONFLICT (tenant, caller, operation, key) DO UPDATE
       SET fingerprint = EXCLUDED.fingerprint, result_id = NULL, created_at = EXCLUDED.created_at
       WHERE prasar_idempotency_keys.created_at < $6
     RETURNING 1`,
    [op.caller.subject, op.operation, key, fingerprint, now, cutoff],
  );
  if (claimed.length === 1) {
    const result = await op.create();
    await em.query(
      `UPDATE prasar_idempotency_keys SET result_id = $5
        WHERE tenant = current_setting('${TENANT_SETTING}', true)
          AND caller = $1 AND operation = $2 AND key = $3 AND fingerprint = $4`,
      [op.caller.subject, op.operation, key, fingerprint, op.idOf(result)],
    );
    return result;
  }

  const [first] = (await em.query(
    `SELECT fingerprint, result_id FROM prasar_idempotency_keys
      WHERE tenant = current_setting('${TENANT_SETTING}', true) AND caller = $1 AND operation = $2 AND key = $3`,
    [op.caller.subject, op.operation, key],
  )) as { fingerprint: string; result_id: string | null }[];
  if (!first || first.result_id === null)
    throw new Error(`idempotency key of ${op.operation} neither claimed nor recorded`);
  if (first.fingerprint !== fingerprint)
    throw new ConflictError(
      `This idempotency key was already used for ${op.operation} with a different input. ` +
        'Send the same input to get the first result, or a new key for a new request.',
    );
  const result = await op.replay(first.result_id);
  if (result === null)
    throw new ConflictError(
      `What the first ${op.operation} with this idempotency key created no longer exists; use a new key.`,
    );
  return result;
}

/**
 * Deletes keys older than the retention (at most `limit`, skipping rows another transaction
 * holds), among those the transaction's tenant sees. Every keyed request prunes a batch.
 */
export async function pruneIdempotencyKeys(
  em: EntityManager,
  now = new Date(),
  limit = PRUNE_BATCH,
): Promise<number> {
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_RETENTION_MS);
  // TypeORM answers a DELETE with [rows, rowCount].
  const [, deleted] = (await em.query(
    `DELETE FROM prasar_idempotency_keys WHERE ctid IN (
       SELECT ctid FROM prasar_idempotency_keys WHERE created_at < $1
        ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [cutoff, limit],
  )) as [unknown[], number];
  return deleted;
}
