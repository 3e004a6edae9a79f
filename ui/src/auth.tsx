// The signed-in user, shared through context.
import { createContext, useContext } from 'react';
import type { Role, User } from './api';

export interface AuthState {
  user: User;
  logout: () => void;
}

export const AuthContext = createContext<AuthState | null>(null);

export function useAuth(): AuthState {
  const a = useContext(AuthContext);
  if (!a) throw new Error('useAuth outside a signed-in page');
  return a;
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function can(user: User, role: Role): boolean {
  return RANK[user.role] >= RANK[role];
}
