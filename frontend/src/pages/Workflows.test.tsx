import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { wf } from '../test/workflowFixtures';
import { mockApi, renderAs } from '../test/render';
import { Workflows } from './Workflows';

describe('workflows list', () => {
  it('shows each workflow with its kind, status and last publish', async () => {
    const f = wf();
    const changed = { ...f.workflow.body, slug: 'edited', name: 'Edited', revision: f.workflow.body.revision! + 1 };
    const draft = { ...f.created.body, slug: 'draft', name: 'Draft' };
    mockApi((method, path) => (method === 'GET' && path === '/workflows?limit=500' ? { status: 200, body: { items: [...f.workflows.body.items, changed, draft] } } : undefined));
    renderAs('developer', <Workflows />);
    const table = await screen.findByRole('table', { name: 'Workflows' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows[0]).toHaveTextContent('Checkout');
    expect(rows[0]).toHaveTextContent('published');
    expect(rows[0]).toHaveTextContent('rev 1');
    expect(within(rows[0]!).getByRole('link', { name: 'Checkout' })).toHaveAttribute('href', '/workflows/checkout');
    // Saved after the publish: the endpoints still run the published revision.
    expect(rows[1]).toHaveTextContent('changed since publish');
    expect(rows[2]).toHaveTextContent('draft');
    expect(rows[2]).toHaveTextContent('never');
    expect(screen.getByRole('button', { name: 'New workflow' })).toBeInTheDocument();
  });

  it('offers no new workflow to a viewer', async () => {
    mockApi((method, path) => (method === 'GET' && path === '/workflows?limit=500' ? wf().workflows : undefined));
    renderAs('viewer', <Workflows />);
    await screen.findByRole('table', { name: 'Workflows' });
    expect(screen.queryByRole('button', { name: 'New workflow' })).not.toBeInTheDocument();
  });
});
