import { resolve } from 'node:path';

/** A federated service the gateway routes to. */
export interface Subgraph {
  /** The subgraph's name in the supergraph; also the key of its transport entry. */
  name: string;
  /** The subgraph's SDL file, owned by its service. */
  sdlPath: string;
  /** The URL composed into the supergraph: the service's local development address. */
  defaultUrl: string;
  /** The environment variable that overrides the URL at run time. */
  urlEnv: string;
}

const services = resolve(__dirname, '../..');

/** Every subgraph of the supergraph. A new service adds its line here, then `npm run supergraph:compose`. */
export const subgraphs = [
  {
    name: 'intake',
    sdlPath: `${services}/intake/src/schema.graphql`,
    defaultUrl: 'http://127.0.0.1:4101/graphql',
    urlEnv: 'INTAKE_URL',
  },
  {
    name: 'approval',
    sdlPath: `${services}/approval/src/schema.graphql`,
    defaultUrl: 'http://127.0.0.1:4102/graphql',
    urlEnv: 'APPROVAL_URL',
  },
  {
    name: 'scheduler',
    sdlPath: `${services}/scheduler/src/schema.graphql`,
    defaultUrl: 'http://127.0.0.1:4103/graphql',
    urlEnv: 'SCHEDULER_URL',
  },
  {
    name: 'publisher',
    sdlPath: `${services}/publisher/src/schema.graphql`,
    defaultUrl: 'http://127.0.0.1:4104/graphql',
    urlEnv: 'PUBLISHER_URL',
  },
  {
    name: 'analytics',
    sdlPath: `${services}/analytics/src/schema.graphql`,
    defaultUrl: 'http://127.0.0.1:4105/graphql',
    urlEnv: 'ANALYTICS_URL',
  },
] as const satisfies readonly Subgraph[];

/** 'intake' | 'approval' | ... */
export type SubgraphName = (typeof subgraphs)[number]['name'];
/** 'INTAKE_URL' | 'APPROVAL_URL' | ... */
export type SubgraphUrlEnv = (typeof subgraphs)[number]['urlEnv'];
