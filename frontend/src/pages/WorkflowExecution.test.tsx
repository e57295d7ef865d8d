import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import type { Role } from '../api/types';
import { wf } from '../test/workflowFixtures';
import { mockApi, renderAs, type Route as ApiRoute } from '../test/render';
import { WorkflowExecution } from './WorkflowExecution';
import { WorkflowRuns } from './WorkflowRuns';

vi.mock('../components/JsonEditor', () => ({
  JsonEditor: (p: { label: string; value: string; onChange?: (v: string) => void; error?: string }) => (
    <textarea aria-label={p.label} value={p.value} readOnly={!p.onChange} onChange={(e) => p.onChange?.(e.currentTarget.value)} />
  ),
}));

function openExecution(role: Role, which: 'executionFailed' | 'executionSucceeded' | 'executionRedrivable', extra: ApiRoute = () => undefined) {
  const f = wf();
  const x = f[which].body;
  const calls = mockApi((method, path, body) => {
    const r = extra(method, path, body);
    if (r) return r;
    if (method === 'GET' && path === `/workflows/${x.workflow}/executions/${x.id}`) return { status: 200, body: x };
    if (method === 'GET' && path === `/workflows/${x.workflow}`) return { status: 200, body: x.workflow === 'refund' ? f.standardCreated.body : f.workflow.body };
    return undefined;
  });
  renderAs(
    role,
    <Routes>
      <Route path="/workflows/:workflow/executions/:execution" element={<WorkflowExecution />} />
    </Routes>,
    `/workflows/${x.workflow}/executions/${x.id}`,
  );
  return { x, calls };
}

// React Flow renders the whole graph on each change: on a loaded machine that takes more than findBy's default second.
configure({ asyncUtilTimeout: 5000 });

describe('execution view', () => {
  it('shows the history as a timeline and what ran, failed and was compensated on the graph', async () => {
    const { x } = openExecution('developer', 'executionFailed');
    const timeline = await screen.findByLabelText('Execution history');
    const events = within(timeline).getAllByTestId('history-event');
    expect(events).toHaveLength(x.history!.length);
    expect(events[0]).toHaveTextContent('start entered');
    // The Catch recorded the failure on exit: shown as the step's failure.
    expect(events[5]).toHaveTextContent('charge failed (caught: compensating)');
    expect(events[5]).toHaveTextContent('Portico.UpstreamClientError: upstream answered 402');
    expect(events[5]).toHaveTextContent('+30 ms');
    expect(events[9]).toHaveTextContent('undo reserve exited');
    expect(events.at(-1)).toHaveTextContent('Execution failed');
    expect(events.at(-1)).toHaveTextContent('Portico.UpstreamClientError: upstream answered 402');
    // Input and output per state, on demand.
    expect(within(events[3]!).getByText('Output')).toBeInTheDocument();
    expect(screen.getByText('Failed with Portico.UpstreamClientError')).toBeInTheDocument();

    expect(await screen.findByTestId('wf-node-charge')).toHaveAttribute('data-run', 'failed');
    expect(screen.getByTestId('wf-node-reserve')).toHaveAttribute('data-run', 'compensated');
    expect(screen.getByTestId('wf-node-release')).toHaveAttribute('data-run', 'undo');
    expect(screen.getByTestId('wf-node-receipt')).not.toHaveAttribute('data-run');
    expect(screen.getByText('500 ms', { exact: false })).toBeInTheDocument();
  });

  it('shows a successful run without a redrive', async () => {
    openExecution('developer', 'executionSucceeded');
    await screen.findByLabelText('Execution history');
    expect(await screen.findByTestId('wf-node-printLabel')).toHaveAttribute('data-run', 'ran');
    expect(screen.getByTestId('wf-node-receipt')).toHaveAttribute('data-run', 'ran');
    expect(screen.getByTestId('wf-node-release')).not.toHaveAttribute('data-run');
    expect(screen.queryByRole('button', { name: 'Redrive' })).not.toBeInTheDocument();
  });

  it('an express execution is not offered a redrive', async () => {
    openExecution('developer', 'executionFailed');
    await screen.findByLabelText('Execution history');
    expect(screen.queryByRole('button', { name: 'Redrive' })).not.toBeInTheDocument();
  });

  it('redrives a failed standard execution the server says can be redriven', async () => {
    const f = wf();
    const { x, calls } = openExecution('developer', 'executionRedrivable', (method, path) => (method === 'POST' && path.endsWith('/redrive') ? f.redriveAccepted : undefined));
    expect(x.redrive).toEqual({ possible: true, state: 'charge' });
    expect(await screen.findByTestId('wf-node-charge')).toHaveAttribute('data-run', 'failed');
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Redrive' }));
    const dlg = await screen.findByRole('dialog', { name: 'Redrive this execution?' });
    expect(dlg).toHaveTextContent('It resumes at charge');
    await user.click(within(dlg).getByRole('button', { name: 'Redrive' }));
    expect(await screen.findByRole('status')).toHaveTextContent('Redrive started at charge.');
    expect(calls.find((c) => c.method === 'POST')?.path).toBe(`/workflows/refund/executions/${x.id}/redrive`);
    // The 202's record: running, redriven once; no second redrive offered while it runs.
    expect(screen.getByText('running')).toBeInTheDocument();
    expect(screen.getByText(/redriven 1×/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Redrive' })).not.toBeInTheDocument();
  });

  it.each([
    [409, 'Conflict'],
    [404, 'Redrive is not available on this server'],
  ])('a refused redrive (%i) shows the problem', async (status, title) => {
    const f = wf();
    const problem = status === 409 ? f.redriveRefused.body : { ...f.notFound.body, detail: 'no such management route' };
    openExecution('developer', 'executionRedrivable', (method, path) => (method === 'POST' && path.endsWith('/redrive') ? { status, body: problem } : undefined));
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Redrive' }));
    const dlg = await screen.findByRole('dialog', { name: 'Redrive this execution?' });
    await user.click(within(dlg).getByRole('button', { name: 'Redrive' }));
    expect(await within(dlg).findByText(title)).toBeInTheDocument();
    expect(within(dlg).getByText(problem.detail!)).toBeInTheDocument();
  });

  it('says why an execution cannot be redriven', async () => {
    const f = wf();
    const x = { ...f.executionRedrivable.body, redrive: { possible: false, reason: 'compensated', detail: 'compensation ran: the steps before the failed one were undone; start a new execution' } };
    mockApi((method, path) => {
      if (method === 'GET' && path === `/workflows/refund/executions/${x.id}`) return { status: 200, body: x };
      if (method === 'GET' && path === '/workflows/refund') return { status: 200, body: f.standardCreated.body };
      return undefined;
    });
    renderAs(
      'developer',
      <Routes>
        <Route path="/workflows/:workflow/executions/:execution" element={<WorkflowExecution />} />
      </Routes>,
      `/workflows/refund/executions/${x.id}`,
    );
    expect(await screen.findByTestId('redrive-refusal')).toHaveTextContent('No redrive: compensation ran');
    expect(screen.queryByRole('button', { name: 'Redrive' })).not.toBeInTheDocument();
  });

  it('a viewer is not offered a redrive', async () => {
    openExecution('viewer', 'executionRedrivable');
    await screen.findByLabelText('Execution history');
    expect(screen.queryByRole('button', { name: 'Redrive' })).not.toBeInTheDocument();
  });
});

describe('test runs and the executions list', () => {
  it('runs a test execution and lists the recorded executions with status, start and duration', async () => {
    const f = wf();
    const calls = mockApi((method, path) => {
      if (method === 'GET' && path === '/workflows/checkout/executions?limit=25') return { status: 200, body: f.executions.body };
      if (method === 'POST' && path === '/workflows/checkout/executions') return { status: 200, body: f.testRunFailed.body };
      return undefined;
    });
    renderAs('developer', <WorkflowRuns workflow={f.workflow.body} dirty={false} />);
    const table = await screen.findByRole('table', { name: 'Executions' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('failed');
    expect(rows[0]).toHaveTextContent('500 ms');
    expect(rows[0]).toHaveTextContent('Portico.UpstreamClientError');
    expect(rows[1]).toHaveTextContent('succeeded');

    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Run test execution' }));
    const result = await screen.findByTestId('test-run-result');
    expect(result).toHaveTextContent('A caller would get HTTP 502');
    expect(result).toHaveTextContent('Portico.UpstreamClientError upstream answered 402');
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ body: {}, params: {}, query: {} });
    await waitFor(() => expect(within(result).getByRole('link', { name: 'Open the execution' })).toHaveAttribute('href', `/workflows/checkout/executions/${f.executions.body.items[0]!.id}`));
  });

  it('shows why a test run is refused (not published)', async () => {
    const f = wf();
    mockApi((method, path) => {
      if (method === 'GET' && path.startsWith('/workflows/checkout/executions')) return { status: 200, body: { items: [] } };
      if (method === 'POST' && path === '/workflows/checkout/executions') return f.notPublished;
      return undefined;
    });
    const draft = { ...f.created.body };
    renderAs('developer', <WorkflowRuns workflow={draft} dirty={false} />);
    expect(screen.getByText('Not published yet: publish first.')).toBeInTheDocument();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Run test execution' }));
    expect(await screen.findByText('workflow "checkout" is not published; publish it first')).toBeInTheDocument();
  });
});
