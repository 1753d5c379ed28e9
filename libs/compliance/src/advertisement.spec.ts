import { normalizePersonName } from './advertisement';
import { checkCompliance } from './check';
import { DEFAULT_POLICY, type CompliancePolicy } from './policy';
import { RULES } from './rules';
import { content, jpeg, target } from './test-fixtures';
import type { CompliancePersonTag, ComplianceContext, ContentKind } from './types';

const withDepartmentMinister: CompliancePolicy = { ...DEFAULT_POLICY, allowDepartmentMinister: true };
const pmAndCmOnly: CompliancePolicy = {
  ...DEFAULT_POLICY,
  adPhotoAllowList: ['PRIME_MINISTER', 'CHIEF_MINISTER'],
};
const ministerContext: ComplianceContext = { departmentMinisterNames: ['Ramesh Kumar', 'रमेश कुमार'] };

function photographViolations(
  people: CompliancePersonTag[],
  policy: CompliancePolicy = DEFAULT_POLICY,
  context?: ComplianceContext,
  kind: ContentKind = 'ADVERTISEMENT',
) {
  const report = checkCompliance(
    content({ kind, media: [jpeg(), jpeg({ people })] }),
    [target('FACEBOOK')],
    policy,
    context,
  );
  return report.violations.filter((v) => v.rule === RULES.ADVERTISEMENT_PHOTOGRAPH);
}

describe('ADVERTISEMENT_PHOTOGRAPH', () => {
  it('refuses a minister in an advertisement, naming the person and the judgment', () => {
    const violations = photographViolations([
      { role: 'CHIEF_MINISTER', name: 'Mohan Yadav' },
      { role: 'MINISTER', name: 'Shri Ramesh Kumar' },
    ]);
    expect(violations).toHaveLength(1);
    expect(violations[0]?.field).toBe('media[1].people[1]');
    expect(violations[0]?.message).toContain('"Shri Ramesh Kumar" (a minister)');
    expect(violations[0]?.message).toContain(
      'Supreme Court, Common Cause v. Union of India, 2015, modified 2016',
    );
    expect(violations[0]?.message).toContain(
      'the President, the Prime Minister, the Governor and the Chief Minister only',
    );
  });

  it.each<[string, CompliancePersonTag['role']]>([
    ['Narendra Modi', 'PRIME_MINISTER'],
    ['Mohan Yadav', 'CHIEF_MINISTER'],
    ['Droupadi Murmu', 'PRESIDENT'],
    ['Mangubhai Patel', 'GOVERNOR'],
  ])('allows %s (%s) by default', (name, role) => {
    expect(photographViolations([{ role, name }])).toEqual([]);
  });

  it.each<[CompliancePersonTag['role'], string]>([
    ['OFFICIAL', 'an official'],
    ['PUBLIC', 'a member of the public'],
  ])('refuses %s in an advertisement', (role, label) => {
    const [violation] = photographViolations([{ role, name: 'Sita Devi' }]);
    expect(violation?.message).toContain(`"Sita Devi" (${label})`);
  });

  it("allows the department's own minister when the policy allows it", () => {
    const people: CompliancePersonTag[] = [
      { role: 'MINISTER', name: 'Ramesh Kumar' },
      { role: 'MINISTER', name: 'Dr. RAMESH  kumar' },
      { role: 'MINISTER', name: 'श्री रमेश कुमार' },
    ];
    expect(photographViolations(people, withDepartmentMinister, ministerContext)).toEqual([]);
  });

  it("still refuses another department's minister, saying why", () => {
    const [violation, ...rest] = photographViolations(
      [{ role: 'MINISTER', name: 'Suresh Patel' }],
      withDepartmentMinister,
      ministerContext,
    );
    expect(rest).toEqual([]);
    expect(violation?.message).toContain('"Suresh Patel" (a minister)');
    expect(violation?.message).toContain("and the department's own minister only");
    expect(violation?.message).toContain("Suresh Patel is not this department's minister.");
  });

  it("refuses the department's own minister when the policy does not allow it", () => {
    expect(
      photographViolations([{ role: 'MINISTER', name: 'Ramesh Kumar' }], DEFAULT_POLICY, ministerContext),
    ).toHaveLength(1);
  });

  it('refuses a minister when the policy allows it but no department minister is known', () => {
    expect(
      photographViolations([{ role: 'MINISTER', name: 'Ramesh Kumar' }], withDepartmentMinister),
    ).toHaveLength(1);
  });

  it('allows every minister when the IT cell puts MINISTER on the allow-list', () => {
    const policy: CompliancePolicy = {
      ...DEFAULT_POLICY,
      adPhotoAllowList: [...DEFAULT_POLICY.adPhotoAllowList, 'MINISTER'],
    };
    expect(photographViolations([{ role: 'MINISTER', name: 'Anyone' }], policy)).toEqual([]);
  });

  it('a narrowed allow-list (PM and CM only) refuses the Governor', () => {
    const violations = photographViolations(
      [
        { role: 'PRIME_MINISTER', name: 'Narendra Modi' },
        { role: 'GOVERNOR', name: 'Mangubhai Patel' },
        { role: 'CHIEF_MINISTER', name: 'Mohan Yadav' },
      ],
      pmAndCmOnly,
    );
    expect(violations.map((v) => v.field)).toEqual(['media[1].people[1]']);
    expect(violations[0]?.message).toContain('of the Prime Minister and the Chief Minister only');
  });

  it('reports every person outside the allow-list, with their positions', () => {
    const violations = photographViolations([
      { role: 'MINISTER', name: 'A' },
      { role: 'CHIEF_MINISTER', name: 'B' },
      { role: 'OFFICIAL', name: 'C' },
    ]);
    expect(violations.map((v) => v.field)).toEqual(['media[1].people[0]', 'media[1].people[2]']);
  });

  it.each<ContentKind>(['ACHIEVEMENT', 'MINISTER_MESSAGE', 'EVENT', 'SCHEME', 'SUCCESS_STORY'])(
    'lets a %s show a minister',
    (kind) => {
      expect(
        photographViolations([{ role: 'MINISTER', name: 'Ramesh Kumar' }], DEFAULT_POLICY, undefined, kind),
      ).toEqual([]);
    },
  );
});

describe('normalizePersonName', () => {
  it.each([
    ['Ramesh Kumar', 'ramesh kumar'],
    ['  Shri  Ramesh   Kumar ', 'ramesh kumar'],
    ['Dr. Ramesh Kumar', 'ramesh kumar'],
    ['Smt. Sita Devi', 'sita devi'],
    ["Hon'ble Dr. Ramesh Kumar", 'ramesh kumar'],
    ['श्री रमेश कुमार', 'रमेश कुमार'],
    ['श्रीमती सीता देवी', 'सीता देवी'],
    ['डॉ. रमेश कुमार', 'रमेश कुमार'],
    ['श्रीराम', 'श्रीराम'],
    ['Shrikant', 'shrikant'],
  ])('%s → %s', (name, expected) => {
    expect(normalizePersonName(name)).toBe(expected);
  });
});
