import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { mockApi, renderAs } from '../test/render';
import { SecretForm, Secrets } from './Secrets';

const listed = {
  items: [{ name: 'stripe-key', revision: 2, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-02T00:00:00Z', updatedBy: 'a@demo.local' }],
};

describe('Secrets', () => {
  it('lists names and versions, and offers changes to admins only', async () => {
    mockApi((method, path) => (method === 'GET' && path === '/secrets?limit=500' ? { status: 200, body: listed } : undefined));
    renderAs('admin', <Secrets />);
    expect(await screen.findByText('stripe-key')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'New secret' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Replace value' })).toBeInTheDocument();
  });

  it('shows developers the names without actions', async () => {
    mockApi((method, path) => (method === 'GET' && path === '/secrets?limit=500' ? { status: 200, body: listed } : undefined));
    renderAs('developer', <Secrets />);
    expect(await screen.findByText('stripe-key')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'New secret' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete' })).not.toBeInTheDocument();
  });

  it('puts the value write-only and shows the pointer errors', async () => {
    let first = true;
    const calls = mockApi((method, path) => {
      if (method !== 'PUT' || !path.startsWith('/secrets/')) return undefined;
      if (first) {
        first = false;
        return { status: 400, body: { status: 400, title: 'Invalid request', errors: [{ pointer: '/name', detail: 'must be 1-64 letters' }] } };
      }
      return { status: 201, body: { name: 'stripe-key', revision: 1 } };
    });
    const onDone = vi.fn();
    renderAs('admin', <SecretForm onDone={onDone} />);
    const user = userEvent.setup();
    const form = screen.getByRole('form', { name: 'New secret' });
    await user.type(within(form).getByRole('textbox', { name: /^Name/ }), 'bad name');
    const value = within(form).getByLabelText(/^Value/);
    expect(value).toHaveAttribute('type', 'password');
    await user.type(value, 'sk_live_1');
    await user.click(within(form).getByRole('button', { name: 'Create secret' }));
    expect(await within(form).findByText('must be 1-64 letters')).toBeInTheDocument();

    const name = within(form).getByRole('textbox', { name: /^Name/ });
    await user.clear(name);
    await user.type(name, 'stripe-key');
    await user.click(within(form).getByRole('button', { name: 'Create secret' }));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(calls.at(-1)).toMatchObject({ method: 'PUT', path: '/secrets/stripe-key', body: { value: 'sk_live_1' } });
  });
});
