import { PoliticalMatcher, type PoliticalLists, type PoliticalReference } from './political';
import type { PersonRole } from './types';

/** The state IT cell's compliance policy. Treat it as immutable: a changed policy is a new object. */
export interface CompliancePolicy {
  /** Who may appear in an advertisement's photographs (Common Cause v. Union of India). */
  adPhotoAllowList: readonly PersonRole[];
  /**
   * Also allow the content's own department's minister (the 2016 modification). Which names that
   * is comes from `ComplianceContext.departmentMinisterNames`, because it differs per department.
   */
  allowDepartmentMinister: boolean;
  /** What government publicity may not name, show or link to. */
  political: PoliticalLists;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * The default for a new state: the Supreme Court's allow-list, and the national parties plus
 * those active in Madhya Pradesh, in English and Hindi. Bare acronyms that are common words or
 * other bodies' names are left out on purpose: "INC" (companies), "SP" (Superintendent of
 * Police), "CPI" (Consumer Price Index), "AAP" and "आप" ("you"). The IT cell replaces the lists
 * per state.
 */
export const DEFAULT_POLICY: CompliancePolicy = deepFreeze({
  adPhotoAllowList: ['PRESIDENT', 'PRIME_MINISTER', 'GOVERNOR', 'CHIEF_MINISTER'],
  allowDepartmentMinister: false,
  political: {
    partyNames: [
      'Bharatiya Janata Party',
      'BJP',
      'भारतीय जनता पार्टी',
      'भाजपा',
      'बीजेपी',
      'भाजपाई',
      'Indian National Congress',
      'Congress',
      'भारतीय राष्ट्रीय कांग्रेस',
      'कांग्रेस',
      'काँग्रेस',
      'कांग्रेसी',
      'Aam Aadmi Party',
      'आम आदमी पार्टी',
      'आप पार्टी',
      'Bahujan Samaj Party',
      'BSP',
      'बहुजन समाज पार्टी',
      'बसपा',
      'Samajwadi Party',
      'समाजवादी पार्टी',
      'सपा',
      'Communist Party of India (Marxist)',
      'Communist Party of India',
      'CPI(M)',
      'CPI (M)',
      'CPIM',
      'मार्क्सवादी कम्युनिस्ट पार्टी',
      'माकपा',
      'भारतीय कम्युनिस्ट पार्टी',
      'भाकपा',
      "National People's Party",
      'नेशनल पीपुल्स पार्टी',
      'Nationalist Congress Party',
      'राष्ट्रवादी कांग्रेस पार्टी',
      'All India Trinamool Congress',
      'Trinamool Congress',
      'तृणमूल कांग्रेस',
      'Gondwana Ganatantra Party',
      'गोंडवाना गणतंत्र पार्टी',
      'गोंगपा',
    ],
    symbols: [
      'lotus symbol',
      'hand symbol',
      'broom symbol',
      'elephant symbol',
      'bicycle symbol',
      'cycle symbol',
      'hammer and sickle',
      'कमल निशान',
      'कमल का निशान',
      'कमल छाप',
      'पंजा निशान',
      'पंजे का निशान',
      'पंजा छाप',
      'हाथ का पंजा',
      'झाड़ू निशान',
      'झाड़ू का निशान',
      'झाड़ू छाप',
      'हाथी निशान',
      'हाथी का निशान',
      'हाथी छाप',
      'साइकिल निशान',
      'साइकिल का निशान',
      'साइकिल छाप',
      'हंसिया हथौड़ा',
      'हँसिया हथौड़ा',
    ],
    domains: [
      'bjp.org',
      'inc.in',
      'aamaadmiparty.org',
      'bspindia.org',
      'samajwadiparty.in',
      'cpim.org',
      'communistparty.in',
      'aitcofficial.org',
    ],
  },
});

/** A policy made ready for checking: its allow-list as a set and its political lists as one matcher. */
export class CompiledPolicy {
  readonly adPhotoAllowList: ReadonlySet<PersonRole>;
  private readonly political: PoliticalMatcher;

  /** Use `compilePolicy`, which caches. */
  constructor(readonly policy: CompliancePolicy) {
    this.adPhotoAllowList = new Set(policy.adPhotoAllowList);
    this.political = new PoliticalMatcher(policy.political);
  }

  /** Party names, symbols and party websites the text mentions. */
  findPoliticalReferences(text: string): PoliticalReference[] {
    return this.political.find(text);
  }
}

const compiled = new WeakMap<CompliancePolicy, CompiledPolicy>();

/** Compiles a policy once; later calls with the same object return the same compiled form. */
export function compilePolicy(policy: CompliancePolicy | CompiledPolicy): CompiledPolicy {
  if (policy instanceof CompiledPolicy) return policy;
  let result = compiled.get(policy);
  if (!result) {
    result = new CompiledPolicy(policy);
    compiled.set(policy, result);
  }
  return result;
}
