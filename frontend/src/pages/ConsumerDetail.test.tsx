import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import type { ApiKey } from '../api/types';
import { mockApi, renderAs } from '../test/render';
import { ConsumerDetail, expiryOf } from './ConsumerDetail';

const SECRET = 'ptk_AbCd1234efghijklmnopqrstuvwxyz0123456789ABCDEFG';

function render(role: 'developer' | 'viewer') {
  renderAs(
    role,
    <Routes>
      <Route path="/consumers/:consumer" element={<ConsumerDetail />} />
    </Routes>,
    '/consumers/acme',
  );
}

function fakeServer() {
  const keys: ApiKey[] = [];
  const calls = mockApi((method, path, body) => {
    if (method === 'GET' && path === '/consumers/acme') return { status: 200, body: { slug: 'acme', name: 'Acme mobile' } };
    if (method === 'GET' && path.startsWith('/consumers/acme/keys')) return { status: 200, body: { items: keys } };
    if (method === 'POST' && path === '/consumers/acme/keys') {
      const b = body as { name?: string; plan?: string };
      if (b.plan === 'Gold!') return { status: 400, body: { status: 400, title: 'Invalid request', errors: [{ pointer: '/plan', detail: 'must be a plan name' }] } };
      const k: ApiKey = { id: 'k1', consumer: 'acme', name: b.name, prefix: 'ptk_AbCd1234', status: 'active', scopes: ['orders:read'] };
      keys.push(k);
      return { status: 201, body: { ...k, secret: SECRET } };
    }
    if (method === 'POST' && path === '/consumers/acme/keys/k1/revoke') {
      keys[0] = { ...keys[0]!, status: 'revoked' };
      return { status: 200, body: keys[0] };
    }
    return undefined;
  });
  return calls;
}

describe('API keys', () => {
  it('shows a new key once, with a copy button, then only its prefix', async () => {
    const calls = fakeServer();
    render('developer');
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Issue API key' }));
    const form = await screen.findByRole('form', { name: 'Issue API key' });
    await user.type(within(form).getByRole('textbox', { name: /Name/ }), 'mobile app');
    await user.type(within(form).getByLabelText(/^Scopes/), 'orders:read{enter}');

    // A refused field is shown beside it.
    await user.type(within(form).getByRole('textbox', { name: /Plan/ }), 'Gold!');
    await user.click(within(form).getByRole('button', { name: 'Issue key' }));
    expect(await within(form).findByText('must be a plan name')).toBeInTheDocument();
    await user.clear(within(form).getByRole('textbox', { name: /Plan/ }));
    await user.click(within(form).getByRole('button', { name: 'Issue key' }));

    const shown = await screen.findByRole('dialog', { name: 'API key issued' });
    expect(within(shown).getByText("Copy it now: you won't see it again")).toBeInTheDocument();
    expect(within(shown).getByText(SECRET)).toBeInTheDocument();
    expect(within(shown).getByRole('button', { name: 'Copy API key' })).toBeInTheDocument();
    const post = calls.filter((c) => c.method === 'POST' && c.path === '/consumers/acme/keys').at(-1);
    expect(post?.body).toEqual({ name: 'mobile app', scopes: ['orders:read'], expiresAt: undefined });

    await user.click(within(shown).getByRole('button', { name: 'I have copied it' }));
    await waitFor(() => expect(screen.queryByText(SECRET)).not.toBeInTheDocument());
    const table = await screen.findByRole('table', { name: 'API keys' });
    expect(within(table).getByText('ptk_AbCd1234…')).toBeInTheDocument();
    expect(within(table).getByText('active')).toBeInTheDocument();

    // Revoking asks first.
    await user.click(within(table).getByRole('button', { name: 'Revoke' }));
    const confirm = await screen.findByRole('dialog', { name: /Revoke key ptk_AbCd1234/ });
    expect(calls.some((c) => c.path.endsWith('/revoke'))).toBe(false);
    await user.click(within(confirm).getByRole('button', { name: 'Revoke key' }));
    expect(await within(table).findByText('revoked')).toBeInTheDocument();
    expect(calls.filter((c) => c.path === '/consumers/acme/keys/k1/revoke')).toHaveLength(1);
  });

  it('offers a viewer neither issuing nor revoking', async () => {
    fakeServer();
    render('viewer');
    expect(await screen.findByText('No API keys yet.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Issue API key' })).not.toBeInTheDocument();
  });

  it('turns an expiry choice into an RFC 3339 time', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(expiryOf('never', '', now)).toBeUndefined();
    expect(expiryOf('30', '', now)).toBe('2026-01-31T00:00:00.000Z');
    expect(expiryOf('date', '2026-03-01', now)).toBe('2026-03-01T23:59:59.000Z');
    expect(expiryOf('date', '', now)).toBe('');
  });
});
