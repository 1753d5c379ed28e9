// Where an account's calls may be pointed (its `apiBaseUrl`, set by the IT cell): the account's
// tokens and client secret go there, so only the platforms' own API hosts, over https. Plain http
// only to an origin the operator configured as a platform base URL (the local simulator).

/** The platforms' API hosts an account may be pointed at by default. */
export const PLATFORM_API_HOSTS = [
  'api.x.com',
  'api.twitter.com',
  'graph.facebook.com',
  'graph.instagram.com',
];

export interface ApiHostPolicy {
  /** `host` or `host:port` an https override may name. */
  hosts: ReadonlySet<string>;
  /** Origins (scheme://host:port) of the configured base URLs: an override may always name them. */
  configuredOrigins: ReadonlySet<string>;
}

export function apiHostPolicy(extraHosts: string[], configuredBaseUrls: string[]): ApiHostPolicy {
  return {
    hosts: new Set([...PLATFORM_API_HOSTS, ...extraHosts].map((h) => h.trim().toLowerCase()).filter(Boolean)),
    configuredOrigins: new Set(configuredBaseUrls.map((u) => new URL(u).origin)),
  };
}

/** Why an account may not be pointed at `value`, or undefined when it may. */
export function apiBaseUrlProblem(value: string, policy: ApiHostPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return 'An https URL of a platform API';
  }
  if (url.username || url.password) return 'A platform API URL carries no credentials';
  if (policy.configuredOrigins.has(url.origin)) return undefined;
  if (url.protocol !== 'https:') return 'Platform APIs are reached over https only';
  if (policy.hosts.has(url.host.toLowerCase()) || policy.hosts.has(url.hostname.toLowerCase()))
    return undefined;
  return `Only a platform's API host: ${[...policy.hosts].sort().join(', ')} (PUBLISHER_PLATFORM_API_HOSTS adds others)`;
}
