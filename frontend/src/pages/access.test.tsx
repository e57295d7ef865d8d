import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import type { Role } from '../api/types';
import { mockApi, renderAs } from '../test/render';
import { ConsumerDetail } from './ConsumerDetail';
import { JwtIssuers } from './JwtIssuers';
import { Transforms } from './Transforms';
import { Editor } from './TransformEditor';

vi.mock('../components/JsonEditor', () => ({
  JsonEditor: (p: { label: string; value: string; onChange?: (v: string) => void }) => (
    <textarea aria-label={p.label} value={p.value} readOnly={!p.onChange} onChange={(e) => p.onChange?.(e.currentTarget.value)} />
  ),
}));

const issuer = { slug: 'corp', issuer: 'https://corp/', jwksUrl: 'https://corp/jwks', audiences: ['shop'] };
const transform = { slug: 'order-view', name: 'Order view', type: 'declarative', document: { steps: [] }, tests: { passed: false, results: [{ name: 'a', pass: false }] } };

function fakeServer() {
  return mockApi((method, path) => {
    if (method === 'GET' && path.startsWith('/jwt-issuers')) return { status: 200, body: { items: [issuer] } };
    if (method === 'GET' && path.startsWith('/transforms')) return { status: 200, body: { items: [transform] } };
    if (method === 'GET' && path === '/consumers/acme') return { status: 200, body: { slug: 'acme', name: 'Acme' } };
    if (method === 'GET' && path.startsWith('/consumers/acme/clients')) return { status: 200, body: { items: [] } };
    if (method === 'GET' && path.startsWith('/consumers/acme/keys')) return { status: 200, body: { items: [] } };
    if (method === 'POST' && path === '/consumers/acme/clients')
      return { status: 201, body: { id: 'cl_123', consumer: 'acme', name: 'batch', status: 'active', clientSecret: 'pcs_secret-shown-once' } };
    if (method === 'POST' && path === '/transforms:preview') return { status: 200, body: { tests: [], publishable: true, output: {} } };
    return undefined;
  });
}

describe('access screens by role', () => {
  it.each<[Role, boolean]>([
    ['developer', false],
    ['admin', true],
  ])('JWT issuers: %s may manage them: %s', async (role, manage) => {
    fakeServer();
    renderAs(role, <JwtIssuers />);
    expect(await screen.findByText('https://corp/')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'New issuer' }) !== null).toBe(manage);
    expect(screen.queryByRole('button', { name: 'Delete' }) !== null).toBe(manage);
  });

  it.each<[Role, boolean]>([
    ['viewer', false],
    ['developer', true],
  ])('transforms: %s may create them: %s', async (role, create) => {
    fakeServer();
    renderAs(role, <Transforms />);
    expect(await screen.findByText('Order view')).toBeInTheDocument();
    expect(screen.getByText('1 failing')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'New transform' }) !== null).toBe(create);
  });

  it('a viewer reads a transform without editing or previewing it', async () => {
    const calls = fakeServer();
    renderAs('viewer', <Editor initial={transform as never} />);
    expect(screen.getByRole('textbox', { name: 'Transform document' })).toHaveAttribute('readonly');
    expect(screen.queryByRole('button', { name: 'Save transform' })).not.toBeInTheDocument();
    expect(screen.getByText('Developers and above can preview transforms.')).toBeInTheDocument();
    // The results of the last save are shown instead.
    expect(screen.getByText('Results at the last save.')).toBeInTheDocument();
    await new Promise((r) => setTimeout(r, 400));
    expect(calls.filter((c) => c.path === '/transforms:preview')).toHaveLength(0);
  });

  it('shows an OAuth2 client secret once, with the client id', async () => {
    fakeServer();
    renderAs(
      'developer',
      <Routes>
        <Route path="/consumers/:consumer" element={<ConsumerDetail />} />
      </Routes>,
      '/consumers/acme',
    );
    const user = userEvent.setup();
    await user.click(await screen.findByRole('tab', { name: 'OAuth2 clients' }));
    await user.click(await screen.findByRole('button', { name: 'New OAuth2 client' }));
    const form = await screen.findByRole('form', { name: 'New OAuth2 client' });
    await user.type(within(form).getByRole('textbox', { name: /Name/ }), 'batch');
    await user.click(within(form).getByRole('button', { name: 'Create client' }));
    const shown = await screen.findByRole('dialog', { name: 'Client secret issued' });
    expect(within(shown).getByText('pcs_secret-shown-once')).toBeInTheDocument();
    expect(within(shown).getByText('cl_123')).toBeInTheDocument();
    await user.click(within(shown).getByRole('button', { name: 'I have copied it' }));
    expect(screen.queryByText('pcs_secret-shown-once')).not.toBeInTheDocument();
  });
});
