// The Prasar Console in a real browser (Debian's Chromium driven by playwright-core) against the
// whole platform and the real identity provider: people sign in on Keycloak's own login page, an
// editor composes a Hindi achievement with X's live count and submits it, an approver of the same
// department approves it from the inbox. Every screen is checked by axe-core in Hindi and English
// at 1280 and 360 px, and its screenshot is written to test-artifacts/console/.
import AxeBuilder from '@axe-core/playwright';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { departmentIdOf } from '@prasar/auth';
import {
  eventually,
  gql,
  localDirectory,
  platformSim,
  portsFor,
  readInfraEnv,
  startStack,
  tokenFor,
  type RunningStack,
} from '@prasar/testing';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const stackDefinitions = require('../../libs/testing/src/stack.cjs') as { simAdminToken: () => string };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'console');
const WIDTHS = [1280, 360] as const;
const LANGUAGES = ['hi', 'en'] as const;

/** axe-core's WCAG 2.1 A and AA rules, on the page as it is now. */
async function axeViolations(page: Page) {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return result.violations.map((v) => ({ rule: v.id, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

async function currentLanguage(page: Page) {
  return page.evaluate(() => document.documentElement.lang);
}

/** Switches the console's language with its own button (one click), and checks `lang` follows. */
async function useLanguage(page: Page, language: 'hi' | 'en') {
  if ((await currentLanguage(page)) === language) return;
  await page.getByRole('button', { name: language === 'en' ? 'English' : 'हिन्दी' }).click();
  await page.waitForFunction((l) => document.documentElement.lang === l, language);
}

/**
 * Checks one screen in both languages at both widths: no axe violation, no horizontal scrolling
 * at 360 px, and a full-page screenshot written as a test artifact. Leaves the page in Hindi.
 */
async function checkScreen(page: Page, screen: string, ready: (page: Page) => Promise<void>) {
  const found: Record<string, unknown> = {};
  for (const language of LANGUAGES) {
    await useLanguage(page, language);
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await ready(page);
      await page.evaluate(() => document.fonts.ready);
      found[`${screen} ${language} ${width}px`] = await axeViolations(page);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect([screen, language, width, 'horizontal overflow', overflow]).toEqual([
        screen,
        language,
        width,
        'horizontal overflow',
        0,
      ]);
      await page.screenshot({ path: join(ARTIFACTS, `${screen}-${language}-${width}.png`), fullPage: true });
    }
  }
  await useLanguage(page, 'hi');
  await page.setViewportSize({ width: 1280, height: 900 });
  for (const [where, violations] of Object.entries(found)) expect([where, violations]).toEqual([where, []]);
}

/** What the page said in its console: printed when a step fails. */
const pageLogs = new WeakMap<Page, string[]>();
function watch(page: Page): Page {
  const logs: string[] = [];
  pageLogs.set(page, logs);
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => logs.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  return page;
}

/** Runs a step; on failure writes a screenshot and adds the page's URL, text and console to the error. */
async function step<T>(page: Page, name: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    await page
      .screenshot({ path: join(ARTIFACTS, `failed-${name}.png`), fullPage: true })
      .catch(() => undefined);
    const text = await page.evaluate(() => document.body.innerText).catch(() => '');
    throw new Error(
      `${name}: ${(err as Error).message}\nURL: ${page.url()}\nPage: ${text.slice(0, 1500)}\nConsole:\n${(pageLogs.get(page) ?? []).join('\n')}`,
    );
  }
}

/** Signs in through Keycloak's own login page from the console's welcome screen. */
async function signIn(page: Page, username: string, password: string) {
  await step(page, `sign-in-${username}`, async () => {
    await page.getByRole('button', { name: 'साइन इन करें' }).click();
    await page.waitForSelector('#kc-form-login');
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('#kc-login');
    await page.getByRole('button', { name: 'साइन आउट' }).waitFor();
  });
}

describe('the Prasar Console in a browser', () => {
  const env = readInfraEnv();
  const run = randomUUID().slice(0, 8);
  const code = `con-${run}`;
  const departmentId = departmentIdOf(code);
  const password = `Test-${randomUUID()}`;
  const editor = `${code}.editor`;
  const approver = `${code}.approver`;
  const otherCode = `oth-${run}`;
  const otherEditor = `${otherCode}.editor`;
  const title = `किसान सम्मान निधि ${run}`;
  const body = 'प्रदेश के 12 लाख किसानों को आज सम्मान निधि की किस्त समय पर मिली।';
  let stack: RunningStack;
  let consoleUrl: string;
  let browser: Browser;
  /** The submitted content's own screen, e.g. /content/<id>. */
  let contentPath = '';

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: \`npm test\` installs it (apt-get install chromium)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startStack({ ports: portsFor(23000) });
    consoleUrl = stack.urls.console;
    const itCell = await tokenFor({ subject: `itcell-${run}`, roles: ['IT_CELL_ADMIN'] });
    for (const [c, name, nameHi] of [
      [code, 'Farmer Welfare and Agriculture', 'किसान कल्याण एवं कृषि विभाग'],
      [otherCode, 'Public Health', 'लोक स्वास्थ्य विभाग'],
    ]) {
      const created = await gql(
        stack.gatewayUrl,
        'mutation($i: DepartmentInput!) { createDepartment(input: $i) { id } }',
        { i: { code: c, name, nameHi } },
        itCell,
      );
      expect(created.errors).toBeUndefined();
    }
    // The department's X account, at the simulated platform and connected by its administrator.
    const sim = platformSim({
      baseUrl: stack.urls['platform-sim'],
      adminToken: stackDefinitions.simAdminToken(),
    });
    const n = Date.now().toString().slice(-9);
    await sim.registerXAccount({
      id: `1${n}`,
      username: `mp_kisan_${run}`,
      accessToken: `x-${run}`,
      refreshToken: `xr-${run}`,
    });
    const deptAdmin = await tokenFor({ subject: `admin-${run}`, roles: ['DEPT_ADMIN'], department: code });
    const connected = await gql(
      stack.gatewayUrl,
      `mutation($i: AccountInput!, $o: AccountOptionsInput) { connectAccount(input: $i, options: $o) { id status } }`,
      {
        i: {
          departmentId,
          platform: 'X',
          handle: `@mp_kisan_${run}`,
          accessToken: `x-${run}`,
          externalAccountId: `1${n}`,
        },
        o: { refreshToken: `xr-${run}`, clientId: 'prasar-x-client' },
      },
      deptAdmin,
    );
    expect(connected.errors).toBeUndefined();
    // The people, at the provider, as the IT cell's administrator would create them.
    const directory = localDirectory(env);
    await directory.ensurePerson({
      username: editor,
      password,
      firstName: 'Sunita',
      lastName: 'Patel',
      roles: ['DEPT_EDITOR'],
      departmentCode: code,
    });
    await directory.ensurePerson({
      username: approver,
      password,
      firstName: 'Arun',
      lastName: 'Mishra',
      roles: ['DEPT_APPROVER'],
      departmentCode: code,
    });
    await directory.ensurePerson({
      username: otherEditor,
      password,
      firstName: 'Kavita',
      lastName: 'Joshi',
      roles: ['DEPT_EDITOR'],
      departmentCode: otherCode,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--headless'],
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('an editor signs in on the provider, composes a Hindi achievement with the live X count, and submits it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = watch(await context.newPage());
    await page.goto(consoleUrl);
    // Hindi first: the welcome screen before sign-in.
    expect(await currentLanguage(page)).toBe('hi');
    await checkScreen(page, 'welcome', (p) => p.getByRole('heading', { level: 1 }).waitFor());

    await signIn(page, editor, password);
    await page.getByRole('heading', { name: 'मेरी सामग्री' }).waitFor();
    // An editor composes and sees their content; the inbox is not theirs (not offered, and refused by URL).
    await expect(page.getByRole('link', { name: 'अनुमोदन इनबॉक्स' }).count()).resolves.toBe(0);
    await checkScreen(page, 'my-content', (p) => p.getByRole('status').first().waitFor());

    await page.getByRole('link', { name: 'नई पोस्ट लिखें' }).click();
    await page.getByRole('heading', { name: 'नई पोस्ट लिखें' }).waitFor();
    await page.getByLabel('शीर्षक').fill(title);
    await page.getByLabel('हिन्दी पाठ').fill(body);
    // X's weighted count, checked by the platform's rules as the editor types.
    const count = page.getByTestId('x-count');
    await count.waitFor();
    await expect(count.textContent()).resolves.toMatch(/^\d+\/280 वर्ण$/);
    const before = Number((await count.textContent())!.split('/')[0]);
    await page.getByLabel('हिन्दी पाठ').pressSequentially(' जय किसान');
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-testid="x-count"]')?.textContent?.split('/')[0]) > n,
      before,
    );
    const after = Number((await count.textContent())!.split('/')[0]);
    expect(after - before).toBe([...' जय किसान'].length);
    await checkScreen(page, 'compose', (p) => p.getByTestId('x-count').waitFor());

    await page.getByRole('button', { name: 'अनुमोदन के लिए भेजें' }).click();
    const notice = page.getByRole('status').filter({ hasText: 'अनुमोदन के लिए भेजी गई' });
    await notice.waitFor();
    await expect(notice.textContent()).resolves.toContain('समीक्षा में');

    // It is in My content, found by a Hindi search, with its status in words.
    await page.getByRole('link', { name: 'मेरी सामग्री में देखें' }).click();
    await page.getByLabel('खोजें (हिन्दी या अंग्रेज़ी)').fill('सम्मान निधि');
    await page.getByRole('heading', { name: title }).waitFor();
    // Its own screen, with its own URL: the text, no publication yet, and its history.
    await page.getByRole('link', { name: title }).click();
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    contentPath = new URL(page.url()).pathname;
    expect(contentPath).toMatch(/^\/content\/[0-9a-f-]{36}$/);
    await page.getByRole('heading', { name: 'इतिहास' }).waitFor();
    await expect(page.locator('.history').textContent()).resolves.toContain('मसौदा बनाया');
    await checkScreen(page, 'content-detail', (p) => p.locator('#detail-history').waitFor());

    // By URL, the inbox is refused with the reason.
    await page.goto(`${consoleUrl}/inbox`);
    await page.getByRole('button', { name: 'साइन इन करें' }).click();
    await page.getByRole('heading', { name: 'अनुमति नहीं है' }).waitFor();

    // Sign-out ends the session at the provider: signing in again asks for the password.
    await page.getByRole('button', { name: 'साइन आउट' }).click();
    await page.getByRole('button', { name: 'साइन इन करें' }).waitFor();
    await page.getByRole('button', { name: 'साइन इन करें' }).click();
    await page.waitForSelector('#kc-form-login');
    await context.close();
  }, 240_000);

  it('an approver of the same department approves it from the inbox', async () => {
    const approverToken = await tokenFor({
      subject: `approver-${run}`,
      roles: ['DEPT_APPROVER'],
      department: code,
    });
    // The approval service has opened the approval (an event away from the submit).
    await eventually(async () => {
      const res = await gql<{ approvalInbox: { edges: { node: { title: string } }[] } }>(
        stack.gatewayUrl,
        '{ approvalInbox(first: 50) { edges { node { title } } } }',
        {},
        approverToken,
      );
      expect(res.data?.approvalInbox.edges.map((e) => e.node.title)).toContain(title);
    }, 30_000);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = watch(await context.newPage());
    await page.goto(`${consoleUrl}/inbox`);
    await signIn(page, approver, password);
    await page.getByRole('heading', { name: 'अनुमोदन इनबॉक्स' }).waitFor();
    const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: title }) });
    await card.waitFor();
    await expect(card.textContent()).resolves.toContain('निर्णय की समय-सीमा');
    await checkScreen(page, 'inbox', (p) => p.getByRole('heading', { name: title }).waitFor());

    // Rejecting needs a comment: the inbox says so and nothing is decided.
    await card.getByRole('button', { name: 'अस्वीकार करें' }).click();
    await card.getByRole('alert').filter({ hasText: 'टिप्पणी लिखें' }).waitFor();

    await card.getByLabel(/टिप्पणी/).fill('तथ्य सही हैं, प्रकाशित करें।');
    await card.getByRole('button', { name: 'अनुमोदित करें' }).click();
    await card.getByRole('status').filter({ hasText: 'अनुमोदित की गई' }).waitFor();

    const status = await eventually(async () => {
      const res = await gql<{ contents: { edges: { node: { title: string; status: string } }[] } }>(
        stack.gatewayUrl,
        'query($f: ContentFilter) { contents(filter: $f, first: 50) { edges { node { title status } } } }',
        { f: { departmentId } },
        approverToken,
      );
      const node = res.data?.contents.edges.find((e) => e.node.title === title)?.node;
      expect(node?.status).not.toBe('IN_REVIEW');
      return node?.status;
    }, 30_000);
    expect(['APPROVED', 'SCHEDULED', 'PUBLISHING', 'PUBLISHED']).toContain(status);
    await context.close();
  }, 240_000);

  it('an editor of another department sees none of it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = watch(await context.newPage());
    await page.goto(`${consoleUrl}/content`);
    await signIn(page, otherEditor, password);
    await page.getByRole('heading', { name: 'मेरी सामग्री' }).waitFor();
    await page.getByLabel('खोजें (हिन्दी या अंग्रेज़ी)').fill('सम्मान निधि');
    await page.getByRole('status').filter({ hasText: '0 पोस्ट' }).waitFor();
    // The search has been answered (no request in flight), and still nothing of the other department.
    await page.waitForLoadState('networkidle');
    await expect(page.getByRole('heading', { name: title }).count()).resolves.toBe(0);
    await expect(page.getByRole('status').first().textContent()).resolves.toBe('0 पोस्ट');
    // Nor by typing its URL: for this person it does not exist.
    expect(contentPath).not.toBe('');
    await page.goto(`${consoleUrl}${contentPath}`);
    await page.getByRole('button', { name: 'साइन इन करें' }).click();
    await page.getByRole('heading', { name: 'सामग्री नहीं मिली' }).waitFor();
    await expect(page.getByText(title).count()).resolves.toBe(0);
    // Nor the inbox by URL: an editor may not open it at all.
    await page.goto(`${consoleUrl}/inbox`);
    await page.getByRole('button', { name: 'साइन इन करें' }).click();
    await page.getByRole('heading', { name: 'अनुमति नहीं है' }).waitFor();
    await context.close();
  }, 120_000);
});
