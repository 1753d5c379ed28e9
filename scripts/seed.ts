// Seeds the demo state through the public API, as the IT cell would: Madhya Pradesh departments,
// each with X, Facebook, Instagram and WhatsApp accounts on the platform simulator (the default
// target locally). Idempotent: an existing department answers CONFLICT and is left as it is; an
// account connected again is reconnected (its credentials replaced).
// With the embedded Keycloak it also creates the demo people (every role in two departments and an
// IT cell admin, one development password) and one integration client per demo department, whose
// credentials it keeps in $PRASAR_HOME/run/integration-clients.json (0600) since a secret is shown once.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { departmentIdOf, type Role } from '@prasar/auth';
import { gql, localDirectory, platformSim, readInfraEnv, tokenFor, type InfraEnv } from '@prasar/testing';

export const MP_DEPARTMENTS = [
  {
    code: 'agriculture',
    name: 'Farmer Welfare and Agriculture Development',
    nameHi: 'किसान कल्याण तथा कृषि विकास विभाग',
  },
  { code: 'health', name: 'Public Health and Family Welfare', nameHi: 'लोक स्वास्थ्य एवं परिवार कल्याण विभाग' },
  { code: 'school-education', name: 'School Education', nameHi: 'स्कूल शिक्षा विभाग' },
  { code: 'public-relations', name: 'Public Relations', nameHi: 'जनसंपर्क विभाग' },
  { code: 'women-child', name: 'Women and Child Development', nameHi: 'महिला एवं बाल विकास विभाग' },
  { code: 'urban-development', name: 'Urban Development and Housing', nameHi: 'नगरीय विकास एवं आवास विभाग' },
  { code: 'revenue', name: 'Revenue', nameHi: 'राजस्व विभाग' },
  { code: 'tribal-affairs', name: 'Tribal Affairs', nameHi: 'जनजातीय कार्य विभाग' },
];

async function main() {
  const url = process.env.GATEWAY_URL ?? 'http://127.0.0.1:4000/graphql';
  const token = await tokenFor({ subject: 'seed', name: 'Demo seed', roles: ['IT_CELL_ADMIN'] });
  let created = 0;
  for (const input of MP_DEPARTMENTS) {
    const res = await gql(
      url,
      'mutation($input: DepartmentInput!) { createDepartment(input: $input) { id } }',
      { input },
      token,
    );
    const code = res.errors?.[0]?.extensions?.code;
    if (res.errors && code !== 'CONFLICT') throw new Error(`${input.code}: ${res.errors[0].message}`);
    if (!res.errors) created += 1;
  }
  process.stdout.write(
    `${created} department(s) created, ${MP_DEPARTMENTS.length - created} already there\n`,
  );
  if (process.env.PLATFORM_SIM_URL && process.env.SIM_ADMIN_TOKEN) await connectSimulatorAccounts(url, token);
  const infra = readInfraEnv();
  if (infra.KEYCLOAK_URL) {
    const people = await seedPeople(infra);
    const clients = await seedIntegrationClients(url, token, infra);
    printSignIn(infra, people, clients);
  }
}

main().catch((err) => {
  process.stderr.write(`seed failed: ${(err as Error).message}\n`);
  process.exit(1);
});

/** Gives every demo department its four accounts on the simulator, connected through the API. */
async function connectSimulatorAccounts(url: string, token: string) {
  const sim = platformSim({
    baseUrl: process.env.PLATFORM_SIM_URL as string,
    adminToken: process.env.SIM_ADMIN_TOKEN as string,
  });
  let connected = 0;
  for (const [i, dept] of MP_DEPARTMENTS.entries()) {
    const n = String(i + 1).padStart(3, '0');
    const handle = dept.code.replace(/-/g, '_');
    await sim.registerXAccount({
      id: `1000${n}`,
      username: `mp_${handle}`,
      accessToken: `x-${dept.code}`,
      refreshToken: `xr-${dept.code}`,
    });
    await sim.registerFacebookPage({ id: `2000${n}`, name: dept.name, accessToken: `fb-${dept.code}` });
    await sim.registerInstagramUser({
      id: `3000${n}`,
      username: `mp_${handle}`,
      accessToken: `ig-${dept.code}`,
    });
    await sim.registerWhatsAppNumber({
      id: `4000${n}`,
      displayPhoneNumber: `+91 755 255 0${n}`,
      accessToken: `wa-${dept.code}`,
      tier: 250,
    });
    await sim.registerTemplate(`4000${n}`, {
      name: 'jansampark_update',
      language: 'hi',
      body: 'मध्यप्रदेश शासन: {{1}}',
    });
    const accounts: [string, string, string, object?][] = [
      ['X', `1000${n}`, `x-${dept.code}`, { refreshToken: `xr-${dept.code}`, clientId: 'prasar-x-client' }],
      ['FACEBOOK', `2000${n}`, `fb-${dept.code}`],
      ['INSTAGRAM', `3000${n}`, `ig-${dept.code}`],
      [
        'WHATSAPP',
        `4000${n}`,
        `wa-${dept.code}`,
        { whatsappTemplate: 'jansampark_update', whatsappTier: 250 },
      ],
    ];
    for (const [platform, externalAccountId, accessToken, options] of accounts) {
      const res = await gql(
        url,
        'mutation($i: AccountInput!, $o: AccountOptionsInput) { connectAccount(input: $i, options: $o) { id } }',
        {
          i: {
            departmentId: departmentIdOf(dept.code),
            platform,
            handle: `@mp_${handle}`,
            accessToken,
            externalAccountId,
          },
          o: options ?? null,
        },
        token,
      );
      if (res.errors) throw new Error(`${dept.code} ${platform}: ${res.errors[0].message}`);
      connected += 1;
    }
  }
  process.stdout.write(`${connected} simulator account(s) connected\n`);
}

/** The departments whose people the demo creates, and the roles each gets one person for. */
export const DEMO_PEOPLE_DEPARTMENTS = ['agriculture', 'health'];
const DEPARTMENT_ROLES: Role[] = ['DEPT_ADMIN', 'DEPT_EDITOR', 'DEPT_APPROVER', 'MINISTER_OFFICE', 'VIEWER'];

interface DemoPerson {
  username: string;
  role: Role;
  department?: string;
}

export function demoPeople(): DemoPerson[] {
  const people: DemoPerson[] = [{ username: 'itcell.admin', role: 'IT_CELL_ADMIN' }];
  for (const department of DEMO_PEOPLE_DEPARTMENTS)
    for (const role of DEPARTMENT_ROLES)
      people.push({
        username: `${department}.${role
          .replace(/^DEPT_/, '')
          .toLowerCase()
          .replace(/_/g, '-')}`,
        role,
        department,
      });
  return people;
}

async function seedPeople(infra: InfraEnv): Promise<DemoPerson[]> {
  const directory = localDirectory(infra);
  const people = demoPeople();
  let created = 0;
  for (const person of people) {
    const words = person.username.split(/[.-]/).map((w) => w[0].toUpperCase() + w.slice(1));
    const result = await directory.ensurePerson({
      username: person.username,
      password: infra.DEMO_USER_PASSWORD as string,
      firstName: words[0],
      lastName: words.slice(1).join(' '),
      email: `${person.username}@demo.prasar.local`,
      roles: [person.role],
      departmentCode: person.department,
    });
    if (result.created) created += 1;
  }
  process.stdout.write(`${created} demo person(s) created, ${people.length - created} already there\n`);
  return people;
}

interface SeededClient {
  department: string;
  clientId: string;
  clientSecret: string;
}

/** One integration client per demo department, created through the API as the IT cell would. */
async function seedIntegrationClients(url: string, token: string, infra: InfraEnv): Promise<string> {
  const file = join(dirname(infra.AUTH_JWKS_FILE), '..', 'integration-clients.json');
  const kept: SeededClient[] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
  const listed = await gql<{ integrationClients: { clientId: string; department: { code: string } }[] }>(
    url,
    '{ integrationClients { clientId department { code } } }',
    {},
    token,
  );
  if (listed.errors) throw new Error(`integration clients: ${listed.errors[0].message}`);
  const existing = listed.data?.integrationClients ?? [];
  const result: SeededClient[] = [];
  for (const dept of MP_DEPARTMENTS) {
    const known = kept.find(
      (k) => k.department === dept.code && existing.some((e) => e.clientId === k.clientId),
    );
    if (known) {
      result.push(known);
      continue;
    }
    // A client whose secret is not on file gets a new one; none at all is created.
    const current = existing.find((e) => e.department.code === dept.code);
    const res = current
      ? await gql<{ issued: Issued }>(
          url,
          `mutation($id: ID!) { issued: rotateIntegrationClientSecret(clientId: $id) { ${ISSUED} } }`,
          { id: current.clientId },
          token,
        )
      : await gql<{ issued: Issued }>(
          url,
          `mutation($input: IntegrationClientInput!) { issued: createIntegrationClient(input: $input) { ${ISSUED} } }`,
          { input: { departmentId: departmentIdOf(dept.code), name: `${dept.name} (demo system)` } },
          token,
        );
    if (res.errors || !res.data)
      throw new Error(`${dept.code} integration client: ${res.errors?.[0].message}`);
    result.push({
      department: dept.code,
      clientId: res.data.issued.client.clientId,
      clientSecret: res.data.issued.clientSecret,
    });
  }
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  process.stdout.write(`${result.length} integration client(s) ready; their credentials are in ${file}\n`);
  return file;
}

const ISSUED = 'client { clientId } clientSecret';
interface Issued {
  client: { clientId: string };
  clientSecret: string;
}

function printSignIn(infra: InfraEnv, people: DemoPerson[], clientsFile: string) {
  const rows = people.map((p) => [p.username, p.role, p.department ?? '(state-wide)']);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), 10));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  const out = [
    '',
    `Sign in at ${infra.OIDC_ISSUER} (Keycloak) as one of these people; password for all: ${infra.DEMO_USER_PASSWORD}`,
    line(['user', 'role', 'department']),
    ...rows.map(line),
    `Keycloak admin console: ${infra.KEYCLOAK_ADMIN_CONSOLE} (user ${infra.KEYCLOAK_ADMIN_USER}; password: keycloakAdminPassword in secrets.json beside env.json)`,
    `Department systems: client id and secret per department in ${clientsFile}; docs/integration.md says how to use them`,
    ...(infra.MAILPIT_API_URL
      ? [
          `Notification mail (Mailpit): ${infra.MAILPIT_API_URL}; set a department's addresses with setDepartmentContacts`,
        ]
      : []),
  ];
  process.stdout.write(out.join('\n') + '\n');
}
