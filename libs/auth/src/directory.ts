import { randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError } from './errors';
import { requireSecureUrl } from './jwt';
import type { Role } from './principal';

/**
 * The identity provider's directory, as Prasar uses it: integration clients for departments' own
 * systems (client credentials; the service account carries the department and the INTEGRATION
 * role) and, for the demo seed and tests, people. One small interface, so a provider other than
 * Keycloak can be plugged in behind it.
 */
export interface IdentityDirectory {
  /** The provider's token endpoint, where an integration client obtains access tokens. */
  readonly tokenUrl: string;
  createIntegrationClient(input: NewIntegrationClient): Promise<IssuedCredentials>;
  listIntegrationClients(departmentCode?: string): Promise<IntegrationClient[]>;
  /** The client, or null when it does not exist or is not a Prasar integration client. */
  findIntegrationClient(clientId: string): Promise<IntegrationClient | null>;
  /** A new secret; tokens issued before it stop working. */
  rotateIntegrationClientSecret(clientId: string): Promise<IssuedCredentials>;
  /** Disabling refuses new tokens and revokes the ones already issued. */
  setIntegrationClientEnabled(clientId: string, enabled: boolean): Promise<IntegrationClient>;
  /** Creates or updates a person with a password, realm roles and a department. */
  ensurePerson(person: Person): Promise<{ id: string; created: boolean }>;
}

export interface NewIntegrationClient {
  departmentCode: string;
  name: string;
  /** The subject of the IT cell member creating it (kept on the client). */
  createdBy: string;
}

export interface IntegrationClient {
  clientId: string;
  name: string;
  departmentCode: string;
  enabled: boolean;
  createdAt: string;
  createdBy: string;
}

export interface IssuedCredentials {
  client: IntegrationClient;
  /** Shown once: the provider keeps only what it needs to check it. */
  clientSecret: string;
}

export interface Person {
  username: string;
  password: string;
  firstName: string;
  lastName?: string;
  email?: string;
  roles: Role[];
  departmentCode?: string;
}

export interface KeycloakDirectoryOptions {
  /** Keycloak's base URL, e.g. https://sso.example.gov.in (http only on loopback). */
  url: string;
  realm: string;
  /** A confidential client of the realm whose service account may manage clients and users. */
  clientId: string;
  clientSecret: string;
  /** The audience integration tokens carry (AUTH_AUDIENCE). */
  audience: string;
  /** Lifetime of an integration client's access tokens (seconds). */
  accessTokenLifespanSeconds?: number;
}

const CLIENT_PREFIX = 'prasar-int-';
const ATTR = {
  integration: 'prasar.integration',
  department: 'prasar.department',
  createdBy: 'prasar.createdBy',
  createdAt: 'prasar.createdAt',
};

interface KcClient {
  id: string;
  clientId: string;
  name?: string;
  enabled: boolean;
  notBefore?: number;
  attributes?: Record<string, string>;
}

/** The claims Prasar needs in an integration client's access tokens. */
function tokenMappers(audience: string) {
  const claim = (extra: Record<string, string>) => ({
    'access.token.claim': 'true',
    'introspection.token.claim': 'true',
    'id.token.claim': 'false',
    'userinfo.token.claim': 'false',
    ...extra,
  });
  return [
    {
      name: 'prasar roles',
      protocol: 'openid-connect',
      protocolMapper: 'oidc-usermodel-realm-role-mapper',
      config: claim({ 'claim.name': 'roles', multivalued: 'true', 'jsonType.label': 'String' }),
    },
    {
      name: 'prasar department',
      protocol: 'openid-connect',
      protocolMapper: 'oidc-usermodel-attribute-mapper',
      config: claim({
        'user.attribute': 'department',
        'claim.name': 'department',
        'jsonType.label': 'String',
      }),
    },
    {
      name: 'prasar audience',
      protocol: 'openid-connect',
      protocolMapper: 'oidc-audience-mapper',
      config: claim({ 'included.custom.audience': audience }),
    },
  ];
}

/** Keycloak's admin REST API behind IdentityDirectory. */
export class KeycloakDirectory implements IdentityDirectory {
  readonly tokenUrl: string;
  private readonly base: string;
  private token?: { value: string; until: number };

  constructor(private readonly options: KeycloakDirectoryOptions) {
    this.base = requireSecureUrl('IDENTITY_DIRECTORY_URL', options.url).toString().replace(/\/$/, '');
    this.tokenUrl = `${this.base}/realms/${encodeURIComponent(options.realm)}/protocol/openid-connect/token`;
  }

  async createIntegrationClient(input: NewIntegrationClient): Promise<IssuedCredentials> {
    const clientId = `${CLIENT_PREFIX}${input.departmentCode}-${randomBytes(4).toString('hex')}`;
    const created = await this.call('POST', '/clients', {
      clientId,
      name: input.name,
      description: `Integration client of department ${input.departmentCode} (Prasar)`,
      enabled: true,
      protocol: 'openid-connect',
      publicClient: false,
      clientAuthenticatorType: 'client-secret',
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      attributes: {
        'access.token.lifespan': String(this.options.accessTokenLifespanSeconds ?? 300),
        [ATTR.integration]: 'true',
        [ATTR.department]: input.departmentCode,
        [ATTR.createdBy]: input.createdBy,
        [ATTR.createdAt]: new Date().toISOString(),
      },
      protocolMappers: tokenMappers(this.options.audience),
    });
    if (created.status === 409) throw new ConflictError(`An integration client ${clientId} already exists`);
    const kc = await this.kcClient(clientId);
    if (!kc) throw new Error(`Keycloak did not keep the new client ${clientId}`);
    // The service account is the subject of the client's tokens: it carries the department and role.
    const account = (await (await this.call('GET', `/clients/${kc.id}/service-account-user`)).json()) as {
      id: string;
    };
    await this.setUserAttributesAndRoles(account.id, input.departmentCode, ['INTEGRATION']);
    return { client: this.toClient(kc), clientSecret: await this.secretOf(kc.id) };
  }

  async listIntegrationClients(departmentCode?: string): Promise<IntegrationClient[]> {
    const res = await this.call(
      'GET',
      `/clients?clientId=${encodeURIComponent(CLIENT_PREFIX)}&search=true&first=0&max=500`,
    );
    const all = (await res.json()) as KcClient[];
    return all
      .filter((c) => c.attributes?.[ATTR.integration] === 'true')
      .filter((c) => !departmentCode || c.attributes?.[ATTR.department] === departmentCode)
      .map((c) => this.toClient(c))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.clientId.localeCompare(b.clientId));
  }

  async findIntegrationClient(clientId: string): Promise<IntegrationClient | null> {
    const kc = await this.kcIntegrationClient(clientId);
    return kc ? this.toClient(kc) : null;
  }

  async rotateIntegrationClientSecret(clientId: string): Promise<IssuedCredentials> {
    const kc = await this.requireClient(clientId);
    const res = await this.call('POST', `/clients/${kc.id}/client-secret`);
    const { value } = (await res.json()) as { value: string };
    // Tokens issued before now are refused by introspection (the gateway asks for each token).
    const updated = await this.update(kc, { notBefore: revokeBefore() });
    return { client: this.toClient(updated), clientSecret: value };
  }

  async setIntegrationClientEnabled(clientId: string, enabled: boolean): Promise<IntegrationClient> {
    const kc = await this.requireClient(clientId);
    const updated = await this.update(kc, enabled ? { enabled } : { enabled, notBefore: revokeBefore() });
    return this.toClient(updated);
  }

  async ensurePerson(person: Person): Promise<{ id: string; created: boolean }> {
    const [firstName, lastName] = [person.firstName, person.lastName ?? ''];
    const body = {
      username: person.username,
      enabled: true,
      firstName,
      lastName,
      ...(person.email ? { email: person.email, emailVerified: true } : {}),
      attributes: person.departmentCode ? { department: [person.departmentCode] } : {},
      requiredActions: [],
    };
    const res = await this.call('POST', '/users', body);
    const created = res.status === 201;
    const found = (await (
      await this.call('GET', `/users?username=${encodeURIComponent(person.username)}&exact=true`)
    ).json()) as { id: string }[];
    if (!found.length) throw new Error(`Keycloak has no user ${person.username} after creating it`);
    const id = found[0].id;
    if (!created) await this.call('PUT', `/users/${id}`, body);
    await this.call('PUT', `/users/${id}/reset-password`, {
      type: 'password',
      value: person.password,
      temporary: false,
    });
    await this.setUserAttributesAndRoles(id, person.departmentCode, person.roles);
    return { id, created };
  }

  // -------------------------------------------------------------------------------------------

  private async setUserAttributesAndRoles(userId: string, departmentCode: string | undefined, roles: Role[]) {
    const user = (await (await this.call('GET', `/users/${userId}`)).json()) as Record<string, unknown>;
    const attributes = { ...((user.attributes as Record<string, string[]>) ?? {}) };
    if (departmentCode) attributes.department = [departmentCode];
    else delete attributes.department;
    await this.call('PUT', `/users/${userId}`, { ...user, attributes });
    const wanted = await Promise.all(
      roles.map(async (role) => (await this.call('GET', `/roles/${encodeURIComponent(role)}`)).json()),
    );
    await this.call('POST', `/users/${userId}/role-mappings/realm`, wanted);
  }

  private toClient(c: KcClient): IntegrationClient {
    const a = c.attributes ?? {};
    return {
      clientId: c.clientId,
      name: c.name ?? c.clientId,
      departmentCode: a[ATTR.department] ?? '',
      enabled: c.enabled,
      createdAt: a[ATTR.createdAt] ?? new Date(0).toISOString(),
      createdBy: a[ATTR.createdBy] ?? '',
    };
  }

  private async kcClient(clientId: string): Promise<KcClient | null> {
    const res = await this.call('GET', `/clients?clientId=${encodeURIComponent(clientId)}`);
    const found = (await res.json()) as KcClient[];
    return found.find((c) => c.clientId === clientId) ?? null;
  }

  private async kcIntegrationClient(clientId: string): Promise<KcClient | null> {
    if (!clientId.startsWith(CLIENT_PREFIX)) return null;
    const kc = await this.kcClient(clientId);
    return kc && kc.attributes?.[ATTR.integration] === 'true' ? kc : null;
  }

  private async requireClient(clientId: string): Promise<KcClient> {
    const kc = await this.kcIntegrationClient(clientId);
    if (!kc) throw new NotFoundError('Integration client', clientId);
    return kc;
  }

  private async update(kc: KcClient, changes: Partial<KcClient>): Promise<KcClient> {
    const full = (await (await this.call('GET', `/clients/${kc.id}`)).json()) as KcClient;
    await this.call('PUT', `/clients/${kc.id}`, { ...full, ...changes });
    return { ...full, ...changes };
  }

  private async secretOf(id: string): Promise<string> {
    const res = await this.call('GET', `/clients/${id}/client-secret`);
    return ((await res.json()) as { value: string }).value;
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.until > Date.now()) return this.token.value;
    const res = await fetch(this.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: this.options.clientId,
        client_secret: this.options.clientSecret,
      }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`The identity provider refused the directory client (HTTP ${res.status})`);
    const body = (await res.json()) as { access_token: string; expires_in: number };
    this.token = { value: body.access_token, until: Date.now() + (body.expires_in - 15) * 1000 };
    return body.access_token;
  }

  /** One admin API call; answers other than 2xx, 404 and 409 are faults (no body is echoed). */
  private async call(method: string, path: string, body?: unknown): Promise<Response> {
    const url = `${this.base}/admin/realms/${encodeURIComponent(this.options.realm)}${path}`;
    const res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${await this.accessToken()}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (res.ok || res.status === 409) return res;
    if (res.status === 404) throw new NotFoundError('Identity provider object', path.split('?')[0]);
    throw new Error(`The identity provider answered ${res.status} to ${method} ${path.split('?')[0]}`);
  }
}

// The provider refuses tokens issued before notBefore (whole seconds, iat < notBefore): the next
// second, so a token obtained with the old secret in this very second is refused too.
const revokeBefore = () => Math.floor(Date.now() / 1000) + 1;

/** The IDENTITY_DIRECTORY_* variables (libs/config's directoryShape validates them). */
export interface DirectoryConfig {
  IDENTITY_DIRECTORY: 'keycloak' | 'none';
  IDENTITY_DIRECTORY_URL?: string;
  IDENTITY_DIRECTORY_REALM?: string;
  IDENTITY_DIRECTORY_CLIENT_ID?: string;
  IDENTITY_DIRECTORY_CLIENT_SECRET?: string;
  AUTH_AUDIENCE: string;
}

/** The configured directory, or undefined when none is (integration clients are then managed at the provider). */
export function directoryFrom(config: DirectoryConfig): IdentityDirectory | undefined {
  if (config.IDENTITY_DIRECTORY === 'none') return undefined;
  const missing = (
    [
      'IDENTITY_DIRECTORY_URL',
      'IDENTITY_DIRECTORY_REALM',
      'IDENTITY_DIRECTORY_CLIENT_ID',
      'IDENTITY_DIRECTORY_CLIENT_SECRET',
    ] as const
  ).filter((k) => !config[k]);
  if (missing.length) throw new Error(`IDENTITY_DIRECTORY=keycloak needs ${missing.join(', ')}`);
  return new KeycloakDirectory({
    url: config.IDENTITY_DIRECTORY_URL as string,
    realm: config.IDENTITY_DIRECTORY_REALM as string,
    clientId: config.IDENTITY_DIRECTORY_CLIENT_ID as string,
    clientSecret: config.IDENTITY_DIRECTORY_CLIENT_SECRET as string,
    audience: config.AUTH_AUDIENCE,
  });
}
