// Seeds the demo state through the public API, as the IT cell would: Madhya Pradesh departments.
// Idempotent: a department that exists already answers CONFLICT and is left as it is.
import { gql, tokenFor } from '@prasar/testing';

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
}

main().catch((err) => {
  process.stderr.write(`seed failed: ${(err as Error).message}\n`);
  process.exit(1);
});
