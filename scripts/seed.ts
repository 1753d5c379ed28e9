// Seeds the demo state through the public API, as the IT cell would: Madhya Pradesh departments,
// each with X, Facebook, Instagram and WhatsApp accounts on the platform simulator (the default
// target locally). Idempotent: an existing department answers CONFLICT and is left as it is; an
// account connected again is reconnected (its credentials replaced).
import { departmentIdOf } from '@prasar/auth';
import { gql, platformSim, tokenFor } from '@prasar/testing';

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
