// The architecture's import rules are enforced by lint, not by good intentions: this proves the
// rule rejects a service importing another service and a library importing a service.
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const ROOT = join(__dirname, '..', '..');

function lint(relativePath: string, source: string) {
  const file = join(ROOT, relativePath);
  writeFileSync(file, source);
  try {
    // ESLint loads its flat config with a dynamic import, which Jest's module system cannot do:
    // run the real CLI, as CI does.
    const out = spawnSync(join(ROOT, 'node_modules', '.bin', 'eslint'), ['--format', 'json', file], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const [result] = JSON.parse(out.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
    return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  } finally {
    rmSync(file, { force: true });
  }
}

describe('Nx module boundaries', () => {
  it('refuses a service importing another service', async () => {
    const messages = lint(
      'services/approval/src/__boundary_probe__.ts',
      "import { ContentService } from '../../intake/src/content/content.service';\nexport const probe = ContentService;\n",
    );
    expect(messages.length).toBeGreaterThan(0);
  });

  it('refuses a library importing a service', async () => {
    const messages = lint(
      'libs/kafka/src/__boundary_probe__.ts',
      "import { AppModule } from '../../../services/intake/src/app.module';\nexport const probe = AppModule;\n",
    );
    expect(messages.length).toBeGreaterThan(0);
  });

  it('accepts a service importing a library by its alias', async () => {
    const messages = lint(
      'services/approval/src/__boundary_probe__.ts',
      "import { departmentIdOf } from '@prasar/auth';\nexport const probe = departmentIdOf;\n",
    );
    expect(messages).toEqual([]);
  });
});
