import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { PointerProblem } from '../components/JsonEditor';
import type { Integration, Role } from '../api/types';
import { wf } from '../test/workflowFixtures';
import { mockApi, renderAs, type Route } from '../test/render';
import { Builder } from './WorkflowBuilder';

// CodeMirror needs layout jsdom lacks; a textarea stands in, showing the
// problems the editor would underline.
vi.mock('../components/JsonEditor', () => ({
  JsonEditor: (p: { label: string; value: string; onChange?: (v: string) => void; problems?: PointerProblem[]; error?: string }) => (
    <div>
      <textarea aria-label={p.label} value={p.value} readOnly={!p.onChange} onChange={(e) => p.onChange?.(e.currentTarget.value)} />
      {p.problems?.map((x) => (
        <div key={x.pointer + x.detail} data-testid={`problem-${p.label}`}>
          {x.pointer}: {x.detail}
        </div>
      ))}
    </div>
  ),
}));

const integrations: Integration[] = [{ slug: 'backend', name: 'Backend', type: 'http', url: 'https://backend.example.com' }];

/** api answers what the builder reads on open; the validate route is answered as this server does (see below). */
function api(extra: Route = () => undefined) {
  const f = wf();
  return mockApi((method, path, body) => {
    const r = extra(method, path, body);
    if (r) return r;
    if (method === 'GET' && path === '/integrations?limit=500') return { status: 200, body: { items: integrations } };
    if (method === 'GET' && path === '/transforms?limit=500') return { status: 200, body: { items: [] } };
    // No live check for workflows on this server: the real 404 problem's shape.
    if (method === 'POST' && path === '/validate/workflow') return { status: 404, body: { ...f.notFound.body, detail: 'no such management route' } };
    return undefined;
  });
}

function open(role: Role) {
  const w = wf().workflow.body;
  renderAs(role, <Builder initial={w} />, '/workflows/checkout');
  return w;
}

/** pick chooses an option of a Mantine Select. */
async function pick(user: ReturnType<typeof userEvent.setup>, label: string, option: string) {
  await user.click(screen.getAllByLabelText(label)[0]!);
  await user.click((await screen.findAllByRole('option', { name: option, hidden: true }))[0]!);
}

const jsonDoc = () => JSON.parse((screen.getByRole('textbox', { name: 'Workflow JSON' }) as HTMLTextAreaElement).value) as { steps: { name: string; type: string; next?: string }[] };

// React Flow renders the whole graph on each change: on a loaded machine that takes more than findBy's default second.
configure({ asyncUtilTimeout: 5000 });

describe('workflow builder', () => {
  it('draws every step of the model as a node, compensation included', async () => {
    api();
    open('developer');
    for (const name of ['reserve', 'charge', 'route', 'ship', 'printLabel', 'mailNote', 'receipt', 'release']) expect(screen.getByTestId(`wf-node-${name}`)).toBeInTheDocument();
    expect(screen.getByTestId('wf-node-release')).toHaveTextContent('undo of reserve');
    expect(screen.getByTestId('wf-branch-label')).toBeInTheDocument();
  });

  it('selects a step from the keyboard: focus its node, press Enter', async () => {
    api();
    open('developer');
    const user = userEvent.setup();
    const node = document.querySelector<HTMLElement>('.react-flow__node[data-id="/steps/1"]')!;
    expect(node).toHaveAttribute('tabindex', '0');
    expect(node).toHaveAttribute('aria-label', 'Call integration step charge');
    node.focus();
    await user.keyboard('{Enter}');
    expect(await screen.findByRole('group', { name: 'Step charge' })).toBeInTheDocument();
    expect(screen.getByTestId('wf-node-charge')).toHaveAttribute('data-selected', 'true');
  });

  it('adding a step updates the JSON, and its form edits it', async () => {
    api();
    open('developer');
    const user = userEvent.setup();
    // Select "receipt" through the step picker, then add a call after it.
    await pick(user, 'Selected step', 'receipt');
    await user.click(screen.getByRole('button', { name: 'Add step' }));
    await user.click(await screen.findByRole('menuitem', { name: 'Call integration' }));

    expect(await screen.findByTestId('wf-node-call1')).toBeInTheDocument();
    const form = screen.getByRole('group', { name: 'Step call1' });
    expect(within(form).getByLabelText(/^Integration/)).toHaveValue('Backend (backend)');
    await user.clear(within(form).getByRole('textbox', { name: 'Path' }));
    await user.type(within(form).getByRole('textbox', { name: 'Path' }), '/mails');

    await user.click(screen.getByRole('tab', { name: 'JSON' }));
    const doc = jsonDoc();
    expect(doc.steps.find((s) => s.name === 'receipt')?.next).toBe('call1');
    expect(doc.steps.at(-1)).toEqual({ name: 'call1', type: 'call', call: { integration: 'backend', method: 'GET', path: '/mails' } });
  });

  it('renames a step when the name is complete; the links follow', async () => {
    api();
    open('developer');
    const user = userEvent.setup();
    await pick(user, 'Selected step', 'receipt');
    const name = within(screen.getByRole('group', { name: 'Step receipt' })).getByRole('textbox', { name: /^Step name/ });
    await user.clear(name);
    await user.type(name, 'thanks{Enter}');
    expect(await screen.findByTestId('wf-node-thanks')).toBeInTheDocument();
    await user.click(screen.getByRole('tab', { name: 'JSON' }));
    const doc = jsonDoc() as unknown as { steps: { name: string; next?: string; choice?: { default?: string } }[] };
    expect(doc.steps.find((s) => s.name === 'route')?.choice?.default).toBe('thanks');
    expect(doc.steps.find((s) => s.name === 'ship')?.next).toBe('thanks');
  });

  it("maps the server's problem pointers to the nodes and fields they name", async () => {
    const f = wf();
    const calls = api((method, path) => {
      if (method === 'PUT' && path === '/workflows/checkout')
        return {
          status: 400,
          // The server's 400 (fixture), at pointers into this workflow.
          body: {
            ...f.invalid.body,
            errors: [
              { pointer: '/steps/1/call/integration', detail: 'no integration "gone" exists in this tenant' },
              { pointer: '/steps/3/parallel/branches/0/steps/0/call/path', detail: 'must start with /' },
              { pointer: '/failureStatus', detail: 'must be 400..599' },
            ],
          },
        };
      return undefined;
    });
    open('developer');
    const user = userEvent.setup();
    expect(await screen.findByText(/This server has no live check for workflows/)).toBeInTheDocument();
    // Any change, then save: the refusal is mapped.
    await user.type(screen.getByRole('textbox', { name: 'Description' }), '!');
    await user.click(screen.getByRole('button', { name: 'Save workflow' }));

    await waitFor(() => expect(screen.getByTestId('wf-node-charge')).toHaveAttribute('data-invalid', 'true'));
    expect(screen.getByTestId('wf-node-printLabel')).toHaveAttribute('data-invalid', 'true');
    expect(screen.getByTestId('wf-node-reserve')).not.toHaveAttribute('data-invalid');
    expect(screen.getByTestId('wf-node-charge')).toHaveTextContent('1 problem');
    // A workflow-level pointer is shown at the workflow's field.
    expect(screen.getByRole('textbox', { name: 'Failure status' })).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('alert')).toHaveTextContent('3 problems in the workflow');

    // The summary selects the step; the field shows the message.
    await user.click(screen.getByRole('button', { name: 'charge › call › integration' }));
    const form = screen.getByRole('group', { name: 'Step charge' });
    const integration = within(form).getByLabelText(/^Integration/);
    expect(integration).toHaveAttribute('aria-invalid', 'true');
    expect(within(form).getByText('no integration "gone" exists in this tenant')).toBeInTheDocument();
    // And the JSON view underlines the same pointer.
    await user.click(screen.getByRole('tab', { name: 'JSON' }));
    expect(screen.getAllByTestId('problem-Workflow JSON').map((e) => e.textContent)).toContain('/steps/1/call/integration: no integration "gone" exists in this tenant');

    const put = calls.find((c) => c.method === 'PUT');
    expect(put?.body).toMatchObject({ slug: 'checkout', revision: 2, description: 'Reserve, charge, ship.!' });
    expect(put?.body).not.toHaveProperty('deployed');
    // The live check was asked once and not again after the 404.
    expect(calls.filter((c) => c.path === '/validate/workflow')).toHaveLength(1);
  });

  it('uses the live check when the server has one', async () => {
    api((method, path) => {
      if (method === 'POST' && path === '/validate/workflow') return { status: 200, body: { valid: false, errors: [{ pointer: '/compensations/0/call/integration', detail: 'is required' }] } };
      return undefined;
    });
    open('developer');
    await waitFor(() => expect(screen.getByTestId('wf-node-release')).toHaveAttribute('data-invalid', 'true'));
    expect(screen.getByTestId('check-status')).toHaveTextContent('1 problem to fix.');
  });

  it('a viewer sees the workflow and cannot edit it', async () => {
    const calls = api();
    open('viewer');
    const user = userEvent.setup();
    expect(screen.getByTestId('wf-node-charge')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Add step' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Save workflow' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Publish' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete' })).not.toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'Name' })).toHaveAttribute('readonly');

    await pick(user, 'Selected step', 'charge');
    const form = screen.getByRole('group', { name: 'Step charge' });
    expect(within(form).getByRole('textbox', { name: /^Step name/ })).toHaveAttribute('readonly');
    expect(within(form).queryByRole('button', { name: 'Remove step' })).not.toBeInTheDocument();
    expect(within(form).queryByRole('button', { name: 'Add retry policy' })).not.toBeInTheDocument();

    await user.click(screen.getByRole('tab', { name: 'JSON' }));
    expect(screen.getByRole('textbox', { name: 'Workflow JSON' })).toHaveAttribute('readonly');
    // Viewers cannot use the validate routes: none was asked.
    expect(calls.filter((c) => c.path.startsWith('/validate'))).toHaveLength(0);
  });

  it('saves an edit; the saved revision can then be published', async () => {
    const f = wf();
    const calls = api((method, path, body) => (method === 'PUT' && path === '/workflows/checkout' ? { status: 200, body: { ...f.workflow.body, ...(body as object), revision: 3 } } : undefined));
    open('admin');
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: 'Description' }), '!');
    // Unsaved: publish would deploy the saved revision, so it waits.
    expect(screen.getByRole('button', { name: 'Publish' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Save workflow' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Publish' })).toBeEnabled());
    expect(screen.getByRole('button', { name: 'Save workflow' })).toBeDisabled();
    expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(1);
    expect(screen.getByText('changed since publish')).toBeInTheDocument();
  });

  it('publishes the saved revision after confirming', async () => {
    const f = wf();
    const calls = api((method, path) => (method === 'POST' && path === '/workflows/checkout/publish' ? { status: 200, body: f.published.body } : undefined));
    open('admin');
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Publish' }));
    const dlg = await screen.findByRole('dialog', { name: 'Publish Checkout?' });
    expect(dlg).toHaveTextContent('Revision 2 is compiled and deployed again');
    await user.click(within(dlg).getByRole('button', { name: 'Publish' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.path === '/workflows/checkout/publish')).toBe(true));
  });
});
