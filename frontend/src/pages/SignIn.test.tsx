import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryRouter } from 'react-router';
import { SessionContext } from '../auth/session';
import { mockApi, session } from '../test/render';
import { theme } from '../theme';
import { SignIn } from './SignIn';

// config.json is beside the console: {base}config.json (/console/config.json in a build).
const CONFIG = `${import.meta.env.BASE_URL}config.json`;

function renderSignedOut() {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <MantineProvider theme={theme}>
      <QueryClientProvider client={qc}>
        <SessionContext.Provider value={{ ...session('viewer'), token: null, me: undefined, role: undefined }}>
          <MemoryRouter initialEntries={['/signin']}>
            <SignIn />
          </MemoryRouter>
        </SessionContext.Provider>
      </QueryClientProvider>
    </MantineProvider>,
  );
}

describe('SignIn', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('offers the dev login when there is no config.json (local mode)', async () => {
    mockApi((_m, path) => (path === CONFIG ? { status: 404, body: { status: 404, title: 'Not Found' } } : undefined));
    renderSignedOut();
    expect(await screen.findByRole('form', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Sign in with your organisation' })).not.toBeInTheDocument();
  });

  it('offers the organisation sign-in when config.json names a user pool and client, and reports an unreachable provider', async () => {
    mockApi((_m, path) => (path === CONFIG ? { status: 200, body: { region: 'eu-west-1', userPoolId: 'eu-west-1_abc', clientId: 'c1', apiBase: '/admin/v1' } } : undefined));
    renderSignedOut();
    const go = await screen.findByRole('button', { name: 'Sign in with your organisation' });
    expect(screen.queryByRole('form', { name: 'Sign in' })).not.toBeInTheDocument();
    // discovery is not mocked: the fetch fails and the page says so
    await userEvent.setup().click(go);
    expect(await screen.findByText('The identity provider could not be reached')).toBeInTheDocument();
  });

  it('says the console is misconfigured when config.json is incomplete, and offers no sign-in', async () => {
    mockApi((_m, path) => (path === CONFIG ? { status: 200, body: { region: 'eu-west-1', userPoolId: 'eu-west-1_abc' } } : undefined));
    renderSignedOut();
    expect(await screen.findByText('The console is misconfigured')).toBeInTheDocument();
    expect(screen.getByText(/config\.json names an identity provider but no "clientId"/)).toBeInTheDocument();
    expect(screen.queryByRole('form', { name: 'Sign in' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Sign in with your organisation' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Try again' })).toBeEnabled();
  });
});
