import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router';
import { vi } from 'vitest';
import type { Role } from '../api/types';
import { can } from '../auth/roles';
import { SessionContext, type Session } from '../auth/session';
import { theme } from '../theme';

/** session builds a signed-in session of the given role without a server. */
export function session(role: Role): Session {
  return {
    token: 'test-token',
    me: { subject: 'dev:a@demo.local', tenant: 'demo', role, email: 'a@demo.local', expiresAt: '2099-01-01T00:00:00Z' },
    role,
    loading: false,
    signIn: async () => {},
    signOut: () => {},
    can: (p) => can(role, p),
  };
}

/** renderAs renders ui as a signed-in user of role, at path. */
export function renderAs(role: Role, ui: ReactElement, path = '/') {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  return render(
    <MantineProvider theme={theme}>
      <QueryClientProvider client={qc}>
        <SessionContext.Provider value={session(role)}>
          <MemoryRouter initialEntries={[path]}>{ui}</MemoryRouter>
        </SessionContext.Provider>
      </QueryClientProvider>
    </MantineProvider>,
  );
}

export type Route = (method: string, path: string, body: unknown) => { status: number; body?: unknown } | undefined;

/**
 * mockApi replaces fetch with a fake management API: route answers by
 * method and path (below /admin/v1). Unanswered calls fail the test loudly.
 * It returns the calls made, for assertions.
 */
export function mockApi(route: Route) {
  const calls: { method: string; path: string; body: unknown }[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://console.test');
    const method = init?.method ?? 'GET';
    const path = url.pathname.replace(/^\/admin\/v1/, '') + url.search;
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ method, path, body });
    const r = route(method, path, body);
    if (!r) throw new Error(`unexpected call ${method} ${path}`);
    const ct = r.status >= 400 ? 'application/problem+json' : 'application/json';
    return new Response(r.body === undefined ? null : JSON.stringify(r.body), { status: r.status, headers: { 'Content-Type': ct } });
  });
  vi.stubGlobal('fetch', fn);
  return calls;
}
