import type { RefreshOutcome } from '../platforms/platform';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import {
  BadInputError,
  canAccessDepartment,
  ConflictError,
  ForbiddenError,
  hasRole,
  isStateWide,
  NotFoundError,
  type Principal,
  type Role,
  type Violation,
} from '@prasar/auth';
import type { Platform } from '@prasar/compliance';
import { EventPublisher } from '@prasar/kafka';
import { asCaller, asPlatform, idempotent, type IdempotencyRequest } from '@prasar/persistence';
import { isUuid } from '../ids';
import { apiBaseUrlProblem, type ApiHostPolicy } from '../platforms/api-hosts';
import { AccountEvents } from './account.events';
import { AccountCredential, SocialAccount } from './account.entity';
import { CredentialCipher, KeyRingError, type AccountSecrets } from './credentials';

/** Roles that connect a department's accounts: its admin, and the IT cell for any department. */
export const ACCOUNT_ADMIN_ROLES: Role[] = ['DEPT_ADMIN', 'IT_CELL_ADMIN'];

/** WhatsApp's messaging tiers: unique recipients of business-initiated messages per rolling 24 h. */
export const WHATSAPP_TIERS = [250, 2_000, 10_000, 100_000] as const;

const PLATFORMS: readonly Platform[] = ['X', 'FACEBOOK', 'INSTAGRAM', 'WHATSAPP'];

/** The injection token of the publisher's ApiHostPolicy. */
export const API_HOST_POLICY = Symbol('API_HOST_POLICY');

/** The contract's AccountInput. */
export interface AccountInput {
  departmentId: string;
  platform: Platform;
  handle: string;
  accessToken: string;
  externalAccountId: string;
}

/** Beyond the contract: what some platforms need besides the access token. */
export interface AccountOptions {
  refreshToken?: string | null;
  clientId?: string | null;
  clientSecret?: string | null;
  whatsappTemplate?: string | null;
  whatsappTemplateLanguage?: string | null;
  whatsappTier?: number | null;
  apiBaseUrl?: string | null;
}

/** An account's secrets as the worker opens them, with the version they were read at. */
export interface OpenedSecrets {
  secrets: AccountSecrets;
  version: number;
}

const blank = (v: string | null | undefined): v is null | undefined =>
  v === null || v === undefined || !v.trim();

function validate(input: AccountInput, options: AccountOptions, apiHosts: ApiHostPolicy): Violation[] {
  const v: Violation[] = [];
  if (!PLATFORMS.includes(input.platform))
    v.push({
      field: 'platform',
      rule: 'UNKNOWN_PLATFORM',
      message: 'Choose X, FACEBOOK, INSTAGRAM or WHATSAPP',
    });
  if (!input.handle.trim() || input.handle.length > 100)
    v.push({
      field: 'handle',
      rule: 'REQUIRED',
      message: 'Give the handle or name shown on the platform (at most 100 characters)',
    });
  if (!/^\d{1,30}$/.test(input.externalAccountId))
    v.push({
      field: 'externalAccountId',
      rule: 'FORMAT',
      message:
        "The platform's numeric id of the account: X user id, page id, Instagram user id or phone-number id",
    });
  if (!input.accessToken.trim() || /\s/.test(input.accessToken) || input.accessToken.length > 4096)
    v.push({
      field: 'accessToken',
      rule: 'FORMAT',
      message: 'Paste the access token exactly as issued (no spaces)',
    });
  if (input.platform === 'WHATSAPP') {
    if (blank(options.whatsappTemplate))
      v.push({
        field: 'options.whatsappTemplate',
        rule: 'REQUIRED',
        message: 'A WhatsApp account needs the approved template its broadcasts use',
      });
    if (options.whatsappTier != null && !(WHATSAPP_TIERS as readonly number[]).includes(options.whatsappTier))
      v.push({
        field: 'options.whatsappTier',
        rule: 'UNKNOWN_TIER',
        message: `The messaging tier is one of ${WHATSAPP_TIERS.join(', ')} unique recipients a day`,
      });
  }
  if (input.platform === 'X' && !blank(options.refreshToken) && blank(options.clientId))
    v.push({
      field: 'options.clientId',
      rule: 'REQUIRED',
      message: 'A refresh token is only usable with the OAuth client id it was issued to',
    });
  if (!blank(options.apiBaseUrl)) {
    const problem = apiBaseUrlProblem(options.apiBaseUrl, apiHosts);
    if (problem) v.push({ field: 'options.apiBaseUrl', rule: 'PLATFORM_HOST', message: problem });
  }
  return v;
}

const isUniqueViolation = (err: unknown) =>
  err instanceof QueryFailedError && (err.driverError as { code?: string } | undefined)?.code === '23505';

/** Social accounts and their sealed credentials. */
@Injectable()
export class AccountsService {
  private readonly events: AccountEvents;

  constructor(
    private readonly ds: DataSource,
    publisher: EventPublisher,
    private readonly cipher: CredentialCipher,
    @Inject(API_HOST_POLICY) private readonly apiHosts: ApiHostPolicy,
  ) {
    this.events = new AccountEvents(publisher);
  }

  /**
   * Connects an account, or reconnects it (same platform and platform id): the credentials are
   * replaced and the account is ACTIVE again. Its held publications resume when the scheduler asks
   * for them again (it releases them on AccountConnected, re-slotted by the account's pacing and
   * checked against blackout windows), not here: the scheduler decides when a post may go.
   */
  async connect(
    caller: Principal,
    input: AccountInput,
    options: AccountOptions = {},
    now = new Date(),
    idempotency?: IdempotencyRequest,
  ): Promise<SocialAccount> {
    if (!hasRole(caller, ...ACCOUNT_ADMIN_ROLES))
      throw new ForbiddenError("Only the department's admin or the IT cell connects accounts");
    if (!isUuid(input.departmentId) || !canAccessDepartment(caller, input.departmentId))
      throw new NotFoundError('Department', input.departmentId);
    if (!blank(options.apiBaseUrl) && !isStateWide(caller))
      throw new ForbiddenError('Only the IT cell points an account at another API address');
    const violations = validate(input, options, this.apiHosts);
    if (violations.length) throw new BadInputError('The account cannot be connected as given', violations);

    try {
      return await asCaller(this.ds, caller, (em) =>
        idempotent(em, {
          operation: 'connectAccount',
          caller,
          idempotency,
          now,
          create: async () => {
            const existing = await em.findOne(SocialAccount, {
              where: { platform: input.platform, externalAccountId: input.externalAccountId },
              lock: { mode: 'pessimistic_write' },
            });
            if (existing && existing.departmentId !== input.departmentId)
              throw new ConflictError('This platform account is connected to another department');
            const account =
              existing ??
              em.create(SocialAccount, {
                id: randomUUID(),
                departmentId: input.departmentId,
                platform: input.platform,
                externalAccountId: input.externalAccountId,
                apiBaseUrl: null,
                whatsappTemplate: null,
                whatsappTemplateLanguage: null,
                whatsappTier: null,
              });
            Object.assign(account, {
              handle: input.handle.trim(),
              status: 'ACTIVE',
              statusReason: null,
              connectedBy: caller.subject,
              connectedAt: now,
              updatedAt: now,
            });
            if (!blank(options.apiBaseUrl)) account.apiBaseUrl = options.apiBaseUrl.trim();
            if (input.platform === 'WHATSAPP') {
              account.whatsappTemplate = options.whatsappTemplate?.trim() ?? account.whatsappTemplate;
              account.whatsappTemplateLanguage =
                options.whatsappTemplateLanguage?.trim() || account.whatsappTemplateLanguage || 'hi';
              account.whatsappTier = options.whatsappTier ?? account.whatsappTier ?? WHATSAPP_TIERS[0];
            }
            if (existing) await em.save(SocialAccount, account);
            else await em.insert(SocialAccount, account);
            await this.storeSecrets(em, account, this.secretsFrom(input, options), now);
            await this.events.connected(em, account, existing !== null, caller);
            return account;
          },
          idOf: (account) => account.id,
          replay: (id) => em.findOneBy(SocialAccount, { id }),
        }),
      );
    } catch (err) {
      if (isUniqueViolation(err))
        throw new ConflictError('This platform account is connected to another department');
      throw err;
    }
  }

  /** Department.accounts: the department's accounts, for whoever may see the department. */
  forDepartment(caller: Principal, departmentId: string): Promise<SocialAccount[]> {
    if (!isUuid(departmentId) || !canAccessDepartment(caller, departmentId)) return Promise.resolve([]);
    return asCaller(this.ds, caller, (em) =>
      em.find(SocialAccount, { where: { departmentId }, order: { platform: 'ASC', handle: 'ASC' } }),
    );
  }

  async byId(caller: Principal, id: string): Promise<SocialAccount | null> {
    if (!isUuid(id)) return null;
    const account = await asCaller(this.ds, caller, (em) => em.findOneBy(SocialAccount, { id }));
    return account && canAccessDepartment(caller, account.departmentId) ? account : null;
  }

  /** Opens an account's secrets (in the caller's transaction). */
  async openSecrets(em: EntityManager, accountId: string): Promise<OpenedSecrets | null> {
    const row = await em.findOneBy(AccountCredential, { accountId });
    if (!row) return null;
    return { secrets: this.cipher.open(accountId, row), version: row.version };
  }

  /**
   * Refreshes an account's token pair once, however many callers find it expired at the same time:
   * refreshes of one account are serialised (advisory lock), and a caller whose secrets were
   * already replaced by another refresh gets those instead of spending a consumed refresh token.
   * The new pair is stored (sealed under the current key) before anyone uses it.
   */
  refreshSecrets(
    account: SocialAccount,
    stale: AccountSecrets,
    refresher: (current: AccountSecrets) => Promise<RefreshOutcome>,
    now = new Date(),
  ): Promise<{ outcome: RefreshOutcome; version?: number }> {
    return asPlatform(this.ds, async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`prasar-token-refresh:${account.id}`]);
      const current = await this.openSecrets(em, account.id);
      if (current && current.secrets.accessToken !== stale.accessToken) {
        return { outcome: { kind: 'refreshed', secrets: current.secrets }, version: current.version };
      }
      const outcome = await refresher(current?.secrets ?? stale);
      if (outcome.kind !== 'refreshed') return { outcome };
      return { outcome, version: await this.storeSecrets(em, account, outcome.secrets, now) };
    });
  }

  /**
   * Marks an ACTIVE account NEEDS_REAUTH and tells its department (AccountNeedsReauth), unless its
   * secrets changed since `readVersion` (a reconnect or another refresh won the race).
   * Returns whether the account needs reauthorisation now.
   */
  async markNeedsReauth(
    em: EntityManager,
    accountId: string,
    readVersion: number,
    reason: string,
    now = new Date(),
  ): Promise<'marked' | 'already' | 'secrets-changed'> {
    const account = await em.findOne(SocialAccount, {
      where: { id: accountId },
      lock: { mode: 'pessimistic_write' },
    });
    const credential = await em.findOneBy(AccountCredential, { accountId });
    if (!account || !credential) return 'already';
    if (credential.version !== readVersion) return 'secrets-changed';
    if (account.status !== 'ACTIVE') return 'already';
    account.status = 'NEEDS_REAUTH';
    account.statusReason = reason.slice(0, 500);
    account.updatedAt = now;
    await em.save(SocialAccount, account);
    await this.events.needsReauth(em, account, account.statusReason);
    return 'marked';
  }

  private secretsFrom(input: AccountInput, options: AccountOptions): AccountSecrets {
    const secrets: AccountSecrets = { accessToken: input.accessToken };
    if (!blank(options.refreshToken)) secrets.refreshToken = options.refreshToken;
    if (!blank(options.clientId)) secrets.clientId = options.clientId.trim();
    if (!blank(options.clientSecret)) secrets.clientSecret = options.clientSecret;
    return secrets;
  }

  /** Seals and writes the secrets under the current key; returns their new version. */
  private async storeSecrets(
    em: EntityManager,
    account: SocialAccount,
    secrets: AccountSecrets,
    now: Date,
  ): Promise<number> {
    const sealed = this.cipher.seal(account.id, secrets);
    const rows: { version: number }[] = await em.query(
      `INSERT INTO account_credentials (account_id, department_id, key_id, iv, ciphertext, auth_tag, version, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, 1, $7)
       ON CONFLICT (account_id) DO UPDATE SET key_id = EXCLUDED.key_id, iv = EXCLUDED.iv,
         ciphertext = EXCLUDED.ciphertext, auth_tag = EXCLUDED.auth_tag,
         version = account_credentials.version + 1, updated_at = EXCLUDED.updated_at
       RETURNING version`,
      [account.id, account.departmentId, sealed.keyId, sealed.iv, sealed.ciphertext, sealed.authTag, now],
    );
    return rows[0].version;
  }

  /**
   * Seals again, under the current key, up to `limit` credentials sealed under an older key, so
   * that key can be retired from the ring. The secrets and their version do not change. Rows
   * another replica is re-sealing are skipped; one whose key is no longer configured is reported.
   */
  async resealStale(limit = 100, now = new Date()): Promise<{ resealed: number; unopenable: string[] }> {
    return asPlatform(this.ds, async (em) => {
      const rows: { account_id: string }[] = await em.query(
        `SELECT account_id FROM account_credentials WHERE key_id <> $1
         ORDER BY account_id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [this.cipher.currentKeyId, limit],
      );
      const unopenable: string[] = [];
      let resealed = 0;
      for (const { account_id: accountId } of rows) {
        const row = await em.findOneByOrFail(AccountCredential, { accountId });
        let secrets: AccountSecrets;
        try {
          secrets = this.cipher.open(accountId, row);
        } catch (err) {
          if (!(err instanceof KeyRingError)) throw err;
          unopenable.push(accountId);
          continue;
        }
        const sealed = this.cipher.seal(accountId, secrets);
        await em.query(
          `UPDATE account_credentials SET key_id = $2, iv = $3, ciphertext = $4, auth_tag = $5, updated_at = $6
           WHERE account_id = $1`,
          [accountId, sealed.keyId, sealed.iv, sealed.ciphertext, sealed.authTag, now],
        );
        resealed += 1;
      }
      return { resealed, unopenable };
    });
  }
}
