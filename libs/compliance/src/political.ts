/** Finds party names, party symbols and party websites in free text, in Hindi and English. */

export type PoliticalReferenceKind = 'PARTY_NAME' | 'SYMBOL' | 'DOMAIN';

export interface PoliticalReference {
  kind: PoliticalReferenceKind;
  /** The policy's list entry that matched, as the IT cell wrote it. */
  term: string;
  /** The text as it was found (after Unicode normalisation). */
  matched: string;
}

export interface PoliticalLists {
  partyNames: readonly string[];
  symbols: readonly string[];
  domains: readonly string[];
}

// A "word" character for boundaries: any letter, combining mark (Devanagari matras, nukta, virama,
// anusvara) or digit. So "कांग्रेस" does not match inside "कांग्रेसी" (ी is a mark) and "सपा" not
// inside "सपाट" (ट is a letter), just as "Congress" does not match inside "Congressional".
const WORD = '[\\p{L}\\p{M}\\p{N}]';
// Between the words of a phrase: any run of spaces, underscores or dashes.
const SEPARATOR_CLASS = '[\\s_\\-\\u2010-\\u2015]';
const SEPARATOR_RUN = new RegExp(`${SEPARATOR_CLASS}+`, 'gu');
// Invisible characters that change nothing a reader sees (soft hyphen, zero-width space/joiners, BOM).
const INVISIBLE = /[\u00AD\u200B-\u200D\u2060\uFEFF]/g;
const APOSTROPHE = /[\u2018\u2019\u02BC]/g;
const CAMEL_HUMP = /\p{Ll}\p{Lu}|\p{Lu}\p{Lu}\p{Ll}|\p{L}\p{N}|\p{N}\p{L}/u;

/**
 * NFKC folds look-alike forms (full-width letters) and, because the precomposed nukta letters
 * (क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़) are composition exclusions, writes every nukta as base letter + U+093C:
 * text and list entries written either way compare equal. Curly apostrophes become straight ones.
 */
export function normalizeForMatch(text: string): string {
  return text.normalize('NFKC').replace(INVISIBLE, '').replace(APOSTROPHE, "'");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function squash(text: string): string {
  return text.toLowerCase().replace(SEPARATOR_RUN, '');
}

/** A domain as the IT cell may have pasted it (`https://www.bjp.org/`) reduced to `bjp.org`. */
export function normalizeDomain(entry: string): string {
  return normalizeForMatch(entry)
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/^www\./, '')
    .replace(/[/?#:].*$/, '')
    .replace(/\.+$/, '');
}

/** Splits hashtag-style run-together words: "VoteForBJP" → "Vote For BJP", "BJP2024" → "BJP 2024". */
function splitCamelCase(text: string): string {
  return text
    .replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
    .replace(/(\p{L})(\p{N})/gu, '$1 $2')
    .replace(/(\p{N})(\p{L})/gu, '$1 $2');
}

interface Entry {
  kind: PoliticalReferenceKind;
  term: string;
}

/** The policy's lists compiled into one regular expression, built once per policy. */
export class PoliticalMatcher {
  private readonly pattern: RegExp | null;
  private readonly terms = new Map<string, Entry>();
  private readonly domains = new Map<string, Entry>();

  constructor(lists: PoliticalLists) {
    const termAlternatives: string[] = [];
    const domainAlternatives: string[] = [];
    const addTerms = (kind: PoliticalReferenceKind, list: readonly string[]) => {
      for (const term of list) {
        const words = normalizeForMatch(term).split(SEPARATOR_RUN).filter(Boolean);
        if (!words.length) continue;
        const key = squash(words.join(''));
        if (this.terms.has(key)) continue;
        this.terms.set(key, { kind, term });
        const escaped = words.map(escapeRegExp);
        termAlternatives.push(escaped.join(`${SEPARATOR_CLASS}+`));
        // "#BharatiyaJanataParty", "#भारतीयजनतापार्टी": phrases run together as hashtags.
        if (escaped.length > 1) termAlternatives.push(escaped.join(''));
      }
    };
    addTerms('PARTY_NAME', lists.partyNames);
    addTerms('SYMBOL', lists.symbols);
    for (const entry of lists.domains) {
      const domain = normalizeDomain(entry);
      if (!domain || this.domains.has(domain)) continue;
      this.domains.set(domain, { kind: 'DOMAIN', term: entry });
      domainAlternatives.push(escapeRegExp(domain));
    }
    // Longest first, so the most specific entry wins where several start at the same place.
    const byLength = (a: string, b: string) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0);
    termAlternatives.sort(byLength);
    domainAlternatives.sort(byLength);
    const branches: string[] = [];
    // Domains first: "bjp.org" is reported as the party's website, not as the name "BJP".
    // A domain may follow a dot (subdomains: mp.bjp.org) but not a letter, digit or dash
    // (notbjp.org is someone else's), and may not continue as a longer domain (bjp.org.example).
    branches.push(
      domainAlternatives.length
        ? `(?<![\\p{L}\\p{M}\\p{N}_-])(${domainAlternatives.join('|')})(?![\\p{L}\\p{M}\\p{N}_-]|\\.[\\p{L}\\p{M}\\p{N}])`
        : '(?!)()',
    );
    if (termAlternatives.length) branches.push(`(?<!${WORD})(${termAlternatives.join('|')})(?!${WORD})`);
    this.pattern =
      termAlternatives.length || domainAlternatives.length ? new RegExp(branches.join('|'), 'giu') : null;
  }

  /** Every distinct list entry the text mentions, in order of first appearance. */
  find(text: string): PoliticalReference[] {
    if (this.pattern === null || !text) return [];
    const found = new Map<string, PoliticalReference>();
    const normalized = normalizeForMatch(text);
    this.scan(this.pattern, normalized, found);
    if (CAMEL_HUMP.test(normalized)) {
      const split = splitCamelCase(normalized);
      if (split !== normalized) this.scan(this.pattern, split, found);
    }
    return found.size ? [...found.values()] : [];
  }

  // An exec loop on the one compiled expression: matchAll would clone the expression on every call.
  private scan(pattern: RegExp, text: string, found: Map<string, PoliticalReference>): void {
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const domain = match[1];
      const matched = domain ?? match[2] ?? match[0];
      const entry =
        domain !== undefined ? this.domains.get(domain.toLowerCase()) : this.terms.get(squash(matched));
      const reference: PoliticalReference = entry
        ? { kind: entry.kind, term: entry.term, matched }
        : { kind: domain !== undefined ? 'DOMAIN' : 'PARTY_NAME', term: matched, matched };
      const key = `${reference.kind}\u0000${reference.term}`;
      if (!found.has(key)) found.set(key, reference);
    }
    pattern.lastIndex = 0;
  }
}
