import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { Route, Routes } from 'react-router';
import type { Role } from '../api/types';
import { Apis } from '../pages/Apis';
import { Members } from '../pages/Members';
import { mockApi, renderAs } from '../test/render';
import { Layout } from './Layout';

function fakeServer() {
  return mockApi((method, path) => {
    if (method !== 'GET') return undefined;
    if (path.startsWith('/apis?')) return { status: 200, body: { items: [{ slug: 'items', name: 'Items', basePath: '' }] } };
    if (path.startsWith('/apis/items/versions')) return { status: 200, body: { items: null } };
    if (path === '/members') return { status: 200, body: { items: [{ email: 'owner@demo.local', role: 'owner' }] } };
    return undefined;
  });
}

const cases: { role: Role; createApi: boolean; audit: boolean; manageMembers: boolean }[] = [
  { role: 'viewer', createApi: false, audit: false, manageMembers: false },
  { role: 'developer', createApi: true, audit: false, manageMembers: false },
  { role: 'admin', createApi: true, audit: true, manageMembers: false },
  { role: 'owner', createApi: true, audit: true, manageMembers: true },
];

describe('role-aware UI', () => {
  it.each(cases)('$role sees only what it may do', async ({ role, createApi, audit }) => {
    fakeServer();
    renderAs(
      role,
      <Routes>
        <Route element={<Layout />}>
          <Route path="/apis" element={<Apis />} />
        </Route>
      </Routes>,
      '/apis',
    );
    expect(await screen.findByRole('link', { name: 'Items' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'New API' }) !== null).toBe(createApi);
    expect(screen.queryByRole('link', { name: 'Audit log' }) !== null).toBe(audit);
    // Everyone sees the build screens and who the members are.
    expect(screen.getByRole('link', { name: 'Integrations' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Members' })).toBeInTheDocument();
    expect(screen.getByLabelText(`Role ${role}`)).toBeInTheDocument();
    // An API with no versions (the server sends items: null) reads "none".
    expect(await screen.findByText('none')).toBeInTheDocument();
  });

  it.each(cases)('members: $role may change roles only as owner', async ({ role, manageMembers }) => {
    fakeServer();
    renderAs(role, <Members />);
    expect(await screen.findByText(/owner@demo.local/)).toBeInTheDocument();
    expect(screen.queryByRole('form', { name: 'Add a member' }) !== null).toBe(manageMembers);
    expect(screen.queryByRole('button', { name: 'Remove' }) !== null).toBe(manageMembers);
  });
});
