// Prints a development token signed with the local key pair that `npm run infra:up` generated.
// npm run token -- --role DEPT_EDITOR --department agriculture [--role ...] [--name "..."] [--subject id] [--ttl seconds]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isRole, signDevToken, type Role } from '@prasar/auth';
import { readInfraEnv } from '@prasar/testing';

async function main() {
  const { values } = parseArgs({
    options: {
      role: { type: 'string', multiple: true },
      department: { type: 'string' },
      name: { type: 'string' },
      subject: { type: 'string' },
      ttl: { type: 'string' },
    },
  });
  const roles = (values.role ?? []).flatMap((r) => r.split(','));
  const bad = roles.filter((r) => !isRole(r));
  if (roles.length === 0 || bad.length) {
    process.stderr.write(
      `give --role with one of the Prasar roles${bad.length ? ` (unknown: ${bad.join(', ')})` : ''}\n`,
    );
    process.exit(2);
  }
  if (!roles.includes('IT_CELL_ADMIN') && !values.department) {
    process.stderr.write('a departmental role needs --department <code>, e.g. --department agriculture\n');
    process.exit(2);
  }
  const env = readInfraEnv();
  const key = JSON.parse(readFileSync(env.AUTH_DEV_PRIVATE_KEY_FILE, 'utf8'));
  const subject =
    values.subject ?? `dev-${roles[0].toLowerCase()}${values.department ? `-${values.department}` : ''}`;
  const token = await signDevToken(
    key,
    {
      subject,
      name: values.name ?? subject,
      roles: roles as Role[],
      department: values.department,
      ttlSeconds: values.ttl ? Number(values.ttl) : undefined,
    },
    env.AUTH_ISSUER,
    env.AUTH_AUDIENCE,
  );
  process.stdout.write(`${token}\n`);
}

void main();
