import { compilePolicy, DEFAULT_POLICY, type CompliancePolicy } from './policy';
import { normalizeDomain, PoliticalMatcher } from './political';

const defaults = compilePolicy(DEFAULT_POLICY);
const found = (text: string) => defaults.findPoliticalReferences(text).map((r) => `${r.kind}:${r.term}`);

function matcher(partyNames: string[], symbols: string[] = [], domains: string[] = []) {
  const m = new PoliticalMatcher({ partyNames, symbols, domains });
  return (text: string) => m.find(text).map((r) => r.term);
}

describe('political references with the default policy', () => {
  it.each([
    // English names, any case, with the usual punctuation around them
    ['BJP rally at Bhopal', ['PARTY_NAME:BJP']],
    ['bjp', ['PARTY_NAME:BJP']],
    ["Congress's plan", ['PARTY_NAME:Congress']],
    ['CONGRESS workers', ['PARTY_NAME:Congress']],
    ['(Congress)', ['PARTY_NAME:Congress']],
    ['Indian National Congress leaders', ['PARTY_NAME:Indian National Congress']],
    ['All India Trinamool Congress', ['PARTY_NAME:All India Trinamool Congress']],
    ['Bharatiya   Janata\nParty', ['PARTY_NAME:Bharatiya Janata Party']],
    ['Bharatiya-Janata-Party', ['PARTY_NAME:Bharatiya Janata Party']],
    ['CPI(M) rally', ['PARTY_NAME:CPI(M)']],
    ['Communist Party of India (Marxist)', ['PARTY_NAME:Communist Party of India (Marxist)']],
    ['National People’s Party', ["PARTY_NAME:National People's Party"]],
    ['ＢＪＰ (full-width letters)', ['PARTY_NAME:BJP']],
    // Hindi names
    ['भाजपा सरकार की योजना', ['PARTY_NAME:भाजपा']],
    ['भारतीय जनता पार्टी के कार्यकर्ता', ['PARTY_NAME:भारतीय जनता पार्टी']],
    ['कांग्रेस की सभा', ['PARTY_NAME:कांग्रेस']],
    ['काँग्रेस की सभा', ['PARTY_NAME:काँग्रेस']],
    ['कांग्रेसी नेता', ['PARTY_NAME:कांग्रेसी']],
    ['समाजवादी पार्टी (सपा) और बसपा', ['PARTY_NAME:समाजवादी पार्टी', 'PARTY_NAME:सपा', 'PARTY_NAME:बसपा']],
    ['आम आदमी पार्टी का कार्यक्रम', ['PARTY_NAME:आम आदमी पार्टी']],
    ['भा\u200Cजपा (zero-width non-joiner inside)', ['PARTY_NAME:भाजपा']],
    ['भाजपा।', ['PARTY_NAME:भाजपा']],
    // mixed Hindi and English
    ['आज BJP और कांग्रेस दोनों', ['PARTY_NAME:BJP', 'PARTY_NAME:कांग्रेस']],
    // hashtags
    ['#BJP', ['PARTY_NAME:BJP']],
    ['#भाजपा', ['PARTY_NAME:भाजपा']],
    ['#VoteForBJP', ['PARTY_NAME:BJP']],
    ['#BJP2024', ['PARTY_NAME:BJP']],
    ['#CongressMuktBharat', ['PARTY_NAME:Congress']],
    ['#BharatiyaJanataParty', ['PARTY_NAME:Bharatiya Janata Party']],
    ['#bharatiyajanataparty', ['PARTY_NAME:Bharatiya Janata Party']],
    ['#भारतीयजनतापार्टी', ['PARTY_NAME:भारतीय जनता पार्टी']],
    ['#bjp_mp', ['PARTY_NAME:BJP']],
    // symbols
    ['vote for the lotus symbol', ['SYMBOL:lotus symbol']],
    ['Hand Symbol', ['SYMBOL:hand symbol']],
    ['कमल का निशान', ['SYMBOL:कमल का निशान']],
    ['पंजा निशान पर मुहर', ['SYMBOL:पंजा निशान']],
    ['झाड़ू निशान (nukta written as one code point, U+095C)', ['SYMBOL:झाड़ू निशान']],
    ['झाड\u093Cू निशान (nukta written as ड + U+093C)', ['SYMBOL:झाड़ू निशान']],
    // domains, in URLs and bare text, subdomains included
    ['https://www.bjp.org/en/news', ['DOMAIN:bjp.org']],
    ['Visit bjp.org.', ['DOMAIN:bjp.org']],
    ['BJP.ORG', ['DOMAIN:bjp.org']],
    ['https://mp.bjp.org/', ['DOMAIN:bjp.org']],
    ['info@inc.in', ['DOMAIN:inc.in']],
    ['http://aamaadmiparty.org/join', ['DOMAIN:aamaadmiparty.org']],
    ['https://example.com/?q=bjp', ['PARTY_NAME:BJP']],
  ])('%s', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  // What each text contains that must not count is noted beside it.
  it.each([
    ['Congressional hearing', '"Congress" inside a longer word'],
    ['Congresses of scientists', '"Congress" inside a longer word'],
    ['सपाट सड़क', '"सपा" inside सपाट ("flat")'],
    ['बसपाल', '"बसपा" followed by a letter'],
    ['आप सभी को शुभकामनाएँ', '"आप" means "you"; only "आप पार्टी" is listed'],
    ['SP Bhopal ने बताया', 'SP: Superintendent of Police, not listed'],
    ['CPI inflation fell', 'CPI: Consumer Price Index, not listed'],
    ['Income tax and incentives', 'INC is not listed'],
    ['notbjp.org', 'another domain ending in bjp.org'],
    ['inc.india.example', 'inc.in followed by more letters'],
    ['bspindia.orgs', 'bspindia.org followed by more letters'],
    ['Lotus Temple, hand pump, cycle track, हाथी दाँत', 'symbol words outside the listed phrases'],
    ['कमल नाथ नहीं, कमला नगर', 'कमल alone is not listed'],
    ['subjpart abjp bjpx', 'the acronym inside other words'],
    ['', 'nothing'],
  ])('no match: %s (%s)', (text) => {
    expect(found(text)).toEqual([]);
  });

  it("a site named after a party is flagged by the name even when it is not the party's site", () => {
    expect(found('my-bjp.org')).toEqual(['PARTY_NAME:BJP']);
  });

  it('reports each entry once, in order of first appearance', () => {
    expect(found('BJP, bjp, भाजपा, BJP')).toEqual(['PARTY_NAME:BJP', 'PARTY_NAME:भाजपा']);
  });

  it('keeps the matched text as found', () => {
    expect(defaults.findPoliticalReferences('the CONGRESS')).toEqual([
      { kind: 'PARTY_NAME', term: 'Congress', matched: 'CONGRESS' },
    ]);
  });
});

describe('Devanagari boundaries (matras, nukta, virama)', () => {
  it.each([
    [['कमल'], 'कमल का फूल', ['कमल']],
    [['कमल'], 'कमला नगर', []], // ा is a matra: a different word
    [['कांग्रेस'], 'कांग्रेसी नेता', []], // ी is a matra
    [['कांग्रेस'], 'राष्ट्रीय कांग्रेस', ['कांग्रेस']],
    [['राज'], 'राज की बात', ['राज']],
    [['राज'], 'राज़ की बात', []], // nukta (U+095B) after ज: another letter
    [['राज'], 'राज\u093C की बात', []], // nukta as a combining mark
    [['राज़'], 'राज\u093C की बात', ['राज़']], // precomposed entry, decomposed text
    [['राज\u093C'], 'राज़ की बात', ['राज\u093C']], // decomposed entry, precomposed text
    [['राज़'], 'राज की बात', []],
    [['सपा'], 'कीसपा', []], // preceded by a matra: inside a word
    [['सपा'], 'सपा्', []], // followed by a virama: inside a word
    [['सपा'], 'सपा, बसपा', ['सपा']],
    [['INC'], 'INC, Inc. and income', ['INC']],
  ])('%j in %s', (terms, text, expected) => {
    expect(matcher(terms)(text)).toEqual(expected);
  });
});

describe('domains', () => {
  it.each([
    ['https://www.Example-Party.in/join', 'example-party.in'],
    ['www.example-party.in', 'example-party.in'],
    ['example-party.in.', 'example-party.in'],
    ['  EXAMPLE-PARTY.IN:443/x ', 'example-party.in'],
  ])('normalizes %s', (entry, expected) => {
    expect(normalizeDomain(entry)).toBe(expected);
  });

  it('matches an entry pasted as a URL, with subdomains, but not look-alikes', () => {
    const find = matcher([], [], ['https://www.example-party.in/']);
    expect(find('see https://state.example-party.in/page')).toEqual(['https://www.example-party.in/']);
    expect(find('see example-party.in')).toEqual(['https://www.example-party.in/']);
    expect(find('see myexample-party.in or example-party.india')).toEqual([]);
  });
});

describe('compiled policies', () => {
  it('compiles once per policy object', () => {
    expect(compilePolicy(DEFAULT_POLICY)).toBe(defaults);
    expect(compilePolicy(defaults)).toBe(defaults);
  });

  it('finds nothing with empty lists', () => {
    const empty: CompliancePolicy = {
      ...DEFAULT_POLICY,
      political: { partyNames: [], symbols: [], domains: [] },
    };
    expect(compilePolicy(empty).findPoliticalReferences('BJP bjp.org')).toEqual([]);
  });

  it('ignores blank and repeated entries', () => {
    expect(matcher(['', '  ', 'BJP', 'bjp'])('BJP')).toEqual(['BJP']);
  });

  it('the default policy is frozen', () => {
    expect(Object.isFrozen(DEFAULT_POLICY.political.partyNames)).toBe(true);
  });
});
