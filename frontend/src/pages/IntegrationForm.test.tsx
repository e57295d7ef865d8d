import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { mockApi, renderAs } from '../test/render';
import { IntegrationForm } from './Integrations';

describe('IntegrationForm', () => {
  it('shows retry and breaker settings when switched on, with their field errors', async () => {
    mockApi((_m, path, body) => {
      if (path !== '/validate/integration') return undefined;
      const b = body as { retry?: { maxAttempts: number } };
      const errors = b.retry && b.retry.maxAttempts > 10 ? [{ pointer: '/retry/maxAttempts', detail: 'must be between 1 and 10' }] : [];
      return { status: 200, body: { valid: errors.length === 0, errors } };
    });
    renderAs('developer', <IntegrationForm onDone={vi.fn()} />);
    const user = userEvent.setup();
    expect(screen.queryByRole('textbox', { name: 'Max attempts' })).not.toBeInTheDocument();
    await user.click(screen.getByRole('switch', { name: 'Retry failed calls' }));
    const attempts = screen.getByRole('textbox', { name: 'Max attempts' });
    await user.clear(attempts);
    await user.type(attempts, '11');
    expect(await screen.findByText('must be between 1 and 10')).toBeInTheDocument();
    await user.click(screen.getByRole('switch', { name: 'Circuit breaker' }));
    expect(screen.getByRole('textbox', { name: /Failure ratio/ })).toBeInTheDocument();
  });

  it('asks for a query for GraphQL and sends it', async () => {
    const calls = mockApi((method, path) => {
      if (path === '/validate/integration') return { status: 200, body: { valid: true, errors: [] } };
      if (method === 'POST' && path === '/integrations') return { status: 201, body: {} };
      return undefined;
    });
    const onDone = vi.fn();
    renderAs('developer', <IntegrationForm onDone={onDone} />);
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: /Name/ }), 'Catalog');
    await user.type(screen.getByRole('textbox', { name: /Slug/ }), 'catalog');
    await user.click(screen.getByText('GraphQL'));
    await user.type(screen.getByRole('textbox', { name: /GraphQL query/ }), '{{ items {{ id } }');
    await user.click(screen.getByRole('button', { name: 'Create integration' }));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    const post = calls.find((c) => c.method === 'POST' && c.path === '/integrations');
    expect(post?.body).toMatchObject({ slug: 'catalog', name: 'Catalog', type: 'graphql', graphql: { query: '{ items { id } }' } });
  });

  it('references a secret by name for upstream authentication', async () => {
    const calls = mockApi((method, path) => {
      if (path === '/validate/integration') return { status: 200, body: { valid: true, errors: [] } };
      if (method === 'GET' && path === '/secrets?limit=500') return { status: 200, body: { items: [{ name: 'billing-token', revision: 1, createdAt: '', updatedAt: '' }] } };
      if (method === 'POST' && path === '/integrations') return { status: 201, body: {} };
      return undefined;
    });
    const onDone = vi.fn();
    renderAs('developer', <IntegrationForm onDone={onDone} />);
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: /Name/ }), 'Billing');
    await user.type(screen.getByRole('textbox', { name: /Slug/ }), 'billing');
    await user.click(screen.getByRole('switch', { name: 'Authenticate upstream with a secret' }));
    // A secret is picked by name; the form never holds a value.
    await user.click(screen.getAllByLabelText(/^Secret/)[0]!);
    await user.click((await screen.findAllByRole('option', { name: 'billing-token', hidden: true }))[0]!);
    await user.click(screen.getByRole('button', { name: 'Create integration' }));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    const post = calls.find((c) => c.method === 'POST' && c.path === '/integrations');
    expect(post?.body).toMatchObject({ slug: 'billing', auth: { type: 'bearer', secret: 'billing-token' } });
  });
});
