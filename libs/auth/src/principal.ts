import { createHash } from 'node:crypto';

/** The roles a caller's token may carry (DOMAIN.md, Tenancy and roles). */
export const ROLES = [
  'IT_CELL_ADMIN',
  'DEPT_ADMIN',
  'DEPT_EDITOR',
  'DEPT_APPROVER',
  'MINISTER_OFFICE',
  'VIEWER',
  'INTEGRATION',
] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Who is calling: built from verified JWT claims, never from anything the caller can set otherwise. */
export interface Principal {
  subject: string;
  name: string;
  roles: Role[];
  /** The department code the caller belongs to; absent for state-wide IT cell admins. */
  departmentCode?: string;
  /** Deterministic id of that department (see departmentIdOf). */
  departmentId?: string;
}

// A fixed namespace: department ids are UUIDv5(namespace, code), so every service can derive the
// tenant id from the token's department code without asking intake.
const DEPARTMENT_NAMESPACE = 'b8f1d6c2-5e0a-4c3b-9a57-6d2f0e1c4a90';

/** The stable id of a department, derived from its code (UUID version 5). */
export function departmentIdOf(code: string): string {
  const ns = Buffer.from(DEPARTMENT_NAMESPACE.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(code.toLowerCase(), 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function hasRole(p: Principal, ...roles: Role[]): boolean {
  return p.roles.some((r) => roles.includes(r));
}

export function isStateWide(p: Principal): boolean {
  return p.roles.includes('IT_CELL_ADMIN');
}

/** Whether the caller may see objects of a department: its own, or any for the IT cell. */
export function canAccessDepartment(p: Principal, departmentId: string): boolean {
  return isStateWide(p) || (p.departmentId !== undefined && p.departmentId === departmentId);
}

/** The department filter to apply to a query: undefined means every department (IT cell). */
export function departmentScope(p: Principal): string | undefined {
  if (isStateWide(p)) return undefined;
  // A departmental role without a department sees nothing: scope to an id no row has.
  return p.departmentId ?? '00000000-0000-0000-0000-000000000000';
}
