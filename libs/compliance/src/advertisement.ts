import type { Violation } from '@prasar/auth';
import type { CompiledPolicy } from './policy';
import { RULES } from './rules';
import type { ComplianceContent, ComplianceContext, PersonRole } from './types';

const ROLE_LABEL: Record<PersonRole, string> = {
  PRESIDENT: 'the President',
  PRIME_MINISTER: 'the Prime Minister',
  GOVERNOR: 'the Governor',
  CHIEF_MINISTER: 'the Chief Minister',
  MINISTER: 'a minister',
  OFFICIAL: 'an official',
  PUBLIC: 'a member of the public',
};
/** Every person role, highest office first. */
export const PERSON_ROLES: readonly PersonRole[] = [
  'PRESIDENT',
  'PRIME_MINISTER',
  'GOVERNOR',
  'CHIEF_MINISTER',
  'MINISTER',
  'OFFICIAL',
  'PUBLIC',
];
const JUDGMENT = 'Supreme Court, Common Cause v. Union of India, 2015, modified 2016';
const HONORIFIC = /^(?:shri|sri|shrimati|smt|sushri|dr|hon'?ble|माननीय|श्रीमती|सुश्री|श्री|डॉ|डा)(?:\s+|$)/u;

/** A person's name reduced for comparison: case, spacing, dots and leading honorifics ignored. */
export function normalizePersonName(name: string): string {
  let n = name.normalize('NFKC').toLowerCase().replace(/[.,]/g, ' ').replace(/\s+/g, ' ').trim();
  for (let previous = ''; previous !== n;) {
    previous = n;
    n = n.replace(HONORIFIC, '').trim();
  }
  return n;
}

function listRoles(roles: ReadonlySet<PersonRole>): string {
  const labels = PERSON_ROLES.filter((r) => roles.has(r)).map((r) => ROLE_LABEL[r]);
  if (!labels.length) return 'no one';
  if (labels.length === 1) return labels[0] as string;
  return `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1]}`;
}

/**
 * Advertisements may show only the allow-listed office holders (and, when the policy allows it,
 * the department's own minister); every other tagged person is a violation naming that person.
 */
export function checkAdvertisementPhotographs(
  content: ComplianceContent,
  policy: CompiledPolicy,
  context: ComplianceContext | undefined,
  out: Violation[],
): void {
  if (content.kind !== 'ADVERTISEMENT') return;
  const allowMinister = policy.policy.allowDepartmentMinister && !policy.adPhotoAllowList.has('MINISTER');
  const departmentMinisters = new Set(
    allowMinister ? (context?.departmentMinisterNames ?? []).map(normalizePersonName).filter(Boolean) : [],
  );
  const allowed =
    listRoles(policy.adPhotoAllowList) + (allowMinister ? " and the department's own minister" : '');
  content.media.forEach((media, i) => {
    media.people.forEach((person, j) => {
      if (policy.adPhotoAllowList.has(person.role)) return;
      const name = person.name.trim();
      if (person.role === 'MINISTER' && allowMinister && departmentMinisters.has(normalizePersonName(name)))
        return;
      const who = name
        ? `"${name}" (${ROLE_LABEL[person.role] ?? person.role})`
        : (ROLE_LABEL[person.role] ?? person.role);
      const ownMinisterNote =
        person.role === 'MINISTER' && allowMinister
          ? ` ${name || 'This minister'} is not this department's minister.`
          : '';
      out.push({
        field: `media[${i}].people[${j}]`,
        rule: RULES.ADVERTISEMENT_PHOTOGRAPH,
        message:
          `Media ${i + 1} of this advertisement shows ${who}, but government advertisements may carry photographs ` +
          `of ${allowed} only (${JUDGMENT}).${ownMinisterNote} ` +
          'सरकारी विज्ञापन में केवल अनुमत पदाधिकारियों के फ़ोटो हो सकते हैं।',
      });
    });
  });
}
