// What each screen needs; the gateway enforces the same rules, this only hides what would be refused.
export type Screen = 'content' | 'compose' | 'inbox';

const NEEDS: Record<Screen, string[]> = {
  content: ['DEPT_EDITOR', 'DEPT_APPROVER', 'DEPT_ADMIN', 'IT_CELL_ADMIN'],
  compose: ['DEPT_EDITOR', 'DEPT_ADMIN'],
  inbox: ['DEPT_APPROVER', 'DEPT_ADMIN', 'IT_CELL_ADMIN'],
};

export function mayOpen(screen: Screen, roles: readonly string[]): boolean {
  return NEEDS[screen].some((role) => roles.includes(role));
}

export function screensFor(roles: readonly string[]): Screen[] {
  return (Object.keys(NEEDS) as Screen[]).filter((s) => mayOpen(s, roles));
}
