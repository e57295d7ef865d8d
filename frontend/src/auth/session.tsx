import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, configureClient, request } from '../api/client';
import type { Me, Role } from '../api/types';
import { can as canRole, type Permission } from './roles';

const KEY = 'portico.session';

export interface Stored {
  token: string;
  expiresAt: string;
  /** The identity provider's logout URL (hosted UI sign-in); signing out goes there. */
  logoutUrl?: string;
}

function load(): Stored | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Stored;
    if (!s.token || Date.parse(s.expiresAt) <= Date.now()) return null;
    return s;
  } catch {
    return null;
  }
}

/** remember stores a token obtained outside the provider (the OIDC callback); the caller reloads. */
export function remember(s: Stored): void {
  sessionStorage.setItem(KEY, JSON.stringify(s));
}

/** forget drops the stored token; the caller reloads or navigates away. */
export function forget(): void {
  sessionStorage.removeItem(KEY);
}

export interface Session {
  token: string | null;
  me: Me | undefined;
  role: Role | undefined;
  loading: boolean;
  signIn: (tenant: string, email: string, role: Role) => Promise<void>;
  signOut: () => void;
  can: (p: Permission) => boolean;
}

const Ctx = createContext<Session | null>(null);

/** AuthProvider keeps the console token in sessionStorage (one tab, gone on close). */
export function AuthProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const [stored, setStored] = useState<Stored | null>(load);

  const signOut = useCallback(() => {
    const logoutUrl = load()?.logoutUrl;
    forget();
    setStored(null);
    qc.clear();
    // Hosted UI sign-in: end the provider's session too, or the next
    // sign-in would be silent.
    if (logoutUrl) window.location.assign(logoutUrl);
  }, [qc]);

  // Configure synchronously so the first queries already carry the token.
  configureClient(() => stored?.token ?? null, signOut);

  useEffect(() => {
    if (!stored) return;
    const ms = Date.parse(stored.expiresAt) - Date.now();
    const t = setTimeout(signOut, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    return () => clearTimeout(t);
  }, [stored, signOut]);

  const me = useQuery({
    queryKey: ['me', stored?.token],
    queryFn: ({ signal }) => api.get<Me>('/me', signal),
    enabled: !!stored,
    staleTime: Infinity,
  });

  const signIn = useCallback(
    async (tenant: string, email: string, role: Role) => {
      const res = await request<{ token: string; expiresAt: string }>('POST', '/auth/dev-login', {
        body: { tenant, email, role },
        anonymous: true,
      });
      const s = { token: res.token, expiresAt: res.expiresAt };
      sessionStorage.setItem(KEY, JSON.stringify(s));
      qc.clear();
      setStored(s);
    },
    [qc],
  );

  const value = useMemo<Session>(() => {
    const role = me.data?.role;
    return {
      token: stored?.token ?? null,
      me: me.data,
      role,
      loading: !!stored && me.isPending,
      signIn,
      signOut,
      can: (p) => canRole(role, p),
    };
  }, [stored, me.data, me.isPending, signIn, signOut]);

  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): Session {
  const s = useContext(Ctx);
  if (!s) throw new Error('useSession outside AuthProvider');
  return s;
}

/** Can renders its children only when the signed-in role has the permission. */
export function Can({ do: p, children }: { do: Permission; children: ReactNode }) {
  return useSession().can(p) ? <>{children}</> : null;
}
export { Ctx as SessionContext };
