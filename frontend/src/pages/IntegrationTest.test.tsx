import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Integration } from '../api/types';
import { mockApi, renderAs } from '../test/render';
import { Integrations } from './Integrations';
import { TestConnection } from './IntegrationTest';

const backend: Integration = { slug: 'backend', name: 'Backend', type: 'http', url: 'https://backend.example.com' } as Integration;

describe('TestConnection', () => {
  it('sends the method, path and sample body and shows status, latency, breaker and the preview', async () => {
    const calls = mockApi((method, path) =>
      method === 'POST' && path === '/integrations/backend/test'
        ? { status: 200, body: { integration: 'backend', method: 'POST', ok: true, status: 201, latencyMs: 42, headers: { 'Content-Type': 'application/json' }, preview: '{"id":7}', breaker: 'closed' } }
        : undefined,
    );
    // the integration's own method is the default
    renderAs('developer', <TestConnection integration={{ ...backend, method: 'post' }} />);
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: /Path/ }), '/orders');
    const body = screen.getByRole('textbox', { name: /Sample body/ });
    await user.type(body, '{{"a": 1');
    await user.click(screen.getByRole('button', { name: 'Send test request' }));
    expect(await screen.findByText('not valid JSON')).toBeInTheDocument();
    expect(calls).toHaveLength(0);
    await user.type(body, '}');
    await user.click(screen.getByRole('button', { name: 'Send test request' }));
    const result = await screen.findByTestId('probe-result');
    expect(calls[0]).toEqual({ method: 'POST', path: '/integrations/backend/test', body: { method: 'POST', path: '/orders', body: { a: 1 } } });
    expect(within(result).getByText('POST 201')).toBeInTheDocument();
    expect(within(result).getByText('42 ms')).toBeInTheDocument();
    expect(within(result).getByText('breaker closed')).toBeInTheDocument();
    expect(within(result).getByLabelText('Response preview')).toHaveTextContent('{"id":7}');
  });

  it('shows why an upstream could not be reached', async () => {
    mockApi(() => ({
      status: 200,
      body: { integration: 'backend', method: 'GET', ok: false, latencyMs: 3, breaker: 'open', error: { type: 'https://portico.dev/problems/upstream-circuit-open', title: 'Service Unavailable', detail: 'the circuit breaker of backend is open' } },
    }));
    renderAs('developer', <TestConnection integration={backend} />);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Send test request' }));
    expect(await screen.findByText('no answer')).toBeInTheDocument();
    expect(screen.getByText('the circuit breaker of backend is open')).toBeInTheDocument();
    expect(screen.getByText('breaker open')).toBeInTheDocument();
  });

  it('is offered to developers, not to viewers', async () => {
    const route = (_m: string, path: string) => {
      if (path.startsWith('/integrations?') || path === '/integrations') return { status: 200, body: { items: [backend] } };
      if (path === '/integrations/backend/health') return { status: 200, body: { integration: 'backend', scope: 'instance', breaker: 'none', requests: 0, failures: 0, retryBudget: 0, observed: false } };
      return undefined;
    };
    mockApi(route);
    const { unmount } = renderAs('viewer', <Integrations />);
    expect(await screen.findByText('Backend')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Test connection to Backend' })).not.toBeInTheDocument();
    unmount();
    renderAs('developer', <Integrations />);
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Test connection to Backend' }));
    expect(await screen.findByRole('button', { name: 'Send test request' })).toBeInTheDocument();
  });
});
