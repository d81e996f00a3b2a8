import { ROLES, type Role } from '../store/accounts.js';

export { ROLES, type Role };

/** What a route asks of its caller: nothing (public), or at least a role. */
export type Access = 'public' | Role;

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Whether `role` may do what `required` allows: admin ⊇ operator ⊇ viewer. */
export function allows(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Who is calling: a person (signed in, JWT) or a machine (API token). */
export interface Principal {
  kind: 'user' | 'token';
  /** The username, or the token's name. */
  name: string;
  role: Role;
  /** The API token's id (kind token). */
  tokenId?: string;
}
