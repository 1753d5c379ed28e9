// The identity provider: how long the embedded Keycloak takes to come back after a restart (what a
// warm `npm start` waits for at most), how much memory it holds, and what a person's sign-in and a
// department system's token cost. Restarts only the Keycloak that infra:up started.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { clientCredentials, localDirectory, signIn, type InfraEnv } from '@prasar/testing';
import type { Measurement } from './report';
import { write } from './report';

interface KeycloakModule {
  up(o: { home: string; secrets: unknown; say: (m: string) => void }): Promise<void>;
  down(o: { home: string; say: (m: string) => void }): Promise<void>;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

function rssMiB(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

export async function runIdentity(
  env: InfraEnv,
  options: { signIns: number; tokens: number },
): Promise<Measurement[]> {
  if (!env.KEYCLOAK_URL) {
    write('  no embedded Keycloak (AUTH_ISSUER names another provider): skipped\n');
    return [];
  }
  const home = process.env.PRASAR_HOME ?? join(homedir(), '.cache', 'prasar');
  const secrets = JSON.parse(readFileSync(join(home, 'run', 'secrets.json'), 'utf8'));
  const keycloak = (await import(join(__dirname, '..', 'deploy', 'local', 'keycloak.mjs'))) as KeycloakModule;
  const quiet = () => {};
  await keycloak.down({ home, say: quiet });
  const started = Date.now();
  await keycloak.up({ home, secrets, say: quiet });
  const restartSeconds = (Date.now() - started) / 1000;
  const pid = Number(readFileSync(join(home, 'run', 'keycloak.pid'), 'utf8'));
  write(`  restarted in ${restartSeconds.toFixed(1)} s (pid ${pid})\n`);

  // A person signs in through the login page; a system gets a client-credentials token.
  const directory = localDirectory(env);
  const password = `Bench-${Date.now()}-pw`;
  await directory.ensurePerson({
    username: 'bench.editor',
    password,
    firstName: 'Bench',
    lastName: 'Editor',
    roles: ['DEPT_EDITOR'],
    departmentCode: 'agriculture',
  });
  const signIns: number[] = [];
  for (let i = 0; i < options.signIns; i++) {
    const t = performance.now();
    await signIn(env, 'bench.editor', password);
    signIns.push(performance.now() - t);
  }
  const client = await directory.createIntegrationClient({
    departmentCode: 'agriculture',
    name: 'Benchmark system',
    createdBy: 'bench',
  });
  const tokens: number[] = [];
  for (let i = 0; i < options.tokens; i++) {
    const t = performance.now();
    const res = await clientCredentials(directory.tokenUrl, client.client.clientId, client.clientSecret);
    if (!res.token) throw new Error(`no client-credentials token (${res.status})`);
    tokens.push(performance.now() - t);
  }
  await directory.setIntegrationClientEnabled(client.client.clientId, false);
  return [
    {
      name: 'Keycloak restart to ready (kc.sh start --optimized, realm checked)',
      value: restartSeconds,
      unit: 's',
    },
    { name: 'Keycloak resident memory after the sign-ins', value: rssMiB(pid), unit: 'MiB' },
    {
      name: 'sign-in through the login page (code + PKCE), p50',
      value: percentile(signIns, 50),
      unit: 'ms',
      detail: `p99 ${percentile(signIns, 99).toFixed(0)} ms over ${signIns.length}`,
    },
    {
      name: 'client-credentials token, p50',
      value: percentile(tokens, 50),
      unit: 'ms',
      detail: `p99 ${percentile(tokens, 99).toFixed(0)} ms over ${tokens.length}`,
    },
  ];
}
