// Every string the console shows is in both locale files: a key missing in either fails here, and
// so does a key the code uses that neither file has.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const WEB = join(__dirname, '..', 'web');
type Tree = { [key: string]: string | Tree };

function keysOf(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) =>
    typeof v === 'string' ? [`${prefix}${k}`] : keysOf(v, `${prefix}${k}.`),
  );
}

const locale = (lang: string) =>
  JSON.parse(readFileSync(join(WEB, 'locales', `${lang}.json`), 'utf8')) as Tree;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Keys used as t('literal') or t(`prefix.${x}`) (a template's fixed prefix). */
function usedKeys(): { exact: Set<string>; prefixes: Set<string> } {
  const exact = new Set<string>();
  const prefixes = new Set<string>();
  for (const file of sources(join(WEB, 'src'))) {
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/\bt\(\s*'([^']+)'/g)) exact.add(m[1]);
    for (const m of code.matchAll(/\bt\(\s*`([^`$]+)\$\{/g)) prefixes.add(m[1]);
  }
  return { exact, prefixes };
}

describe('console locales', () => {
  const hi = keysOf(locale('hi')).sort();
  const en = keysOf(locale('en')).sort();

  it('Hindi and English have exactly the same keys', () => {
    expect(hi.filter((k) => !en.includes(k))).toEqual([]);
    expect(en.filter((k) => !hi.includes(k))).toEqual([]);
  });

  it('no string is empty', () => {
    for (const lang of ['hi', 'en']) {
      const tree = locale(lang);
      for (const key of keysOf(tree)) {
        const value = key.split('.').reduce<string | Tree>((t, k) => (t as Tree)[k], tree);
        expect([lang, key, String(value).trim().length > 0]).toEqual([lang, key, true]);
      }
    }
  });

  it('every key the code uses exists (plural keys as key_one / key_other)', () => {
    const { exact, prefixes } = usedKeys();
    expect(exact.size).toBeGreaterThan(20);
    const has = (key: string) =>
      hi.includes(key) || (hi.includes(`${key}_one`) && hi.includes(`${key}_other`));
    expect([...exact].filter((k) => !has(k))).toEqual([]);
    expect([...prefixes].filter((p) => !hi.some((k) => k.startsWith(p)))).toEqual([]);
  });

  it('the Hindi file is Hindi: its screen titles are in Devanagari', () => {
    const tree = locale('hi') as { nav: Record<string, string> };
    for (const title of Object.values(tree.nav)) expect(title).toMatch(/[\u0900-\u097F]/);
  });
});
