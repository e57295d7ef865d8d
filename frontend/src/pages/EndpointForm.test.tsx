import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Integration } from '../api/types';
import { wh } from '../test/consoleFixtures';
import { mockApi, renderAs } from '../test/render';
import { EndpointForm } from './EndpointForm';

const integrations: Integration[] = [{ slug: 'demo-upstream', name: 'Demo upstream', type: 'http', url: 'http://127.0.0.1:8081' }];

function renderForm(onDone = vi.fn()) {
  renderAs(
    'developer',
    <EndpointForm api="shop" version="v1" basePath="/shop" tenant="demo" integrations={integrations} onDone={onDone} />,
  );
  return onDone;
}

describe('EndpointForm', () => {
  it('shows the dry run errors at the fields their pointers name, and the rest in a summary', async () => {
    const calls = mockApi((method, path, body) => {
      if (method === 'POST' && path === '/validate/endpoint') {
        const ep = body as { path: string };
        if (ep.path.startsWith('/')) return { status: 200, body: { valid: true, errors: [] } };
        return {
          status: 200,
          body: {
            valid: false,
            errors: [
              { pointer: '/path', detail: 'must start with /' },
              { pointer: '/target/path', detail: 'uses {sku}, which the endpoint path does not define' },
              { pointer: '/policies/responseTransforms/0/transform', detail: 'is required' },
            ],
          },
        };
      }
      return undefined;
    });
    renderForm();
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: /Path template/ }), 'orders/{{id}');

    // Chips show the template's parameters as you type.
    expect(await screen.findByText('id')).toBeInTheDocument();

    const path = screen.getByRole('textbox', { name: /Path template/ });
    await waitFor(() => expect(path).toHaveAttribute('aria-invalid', 'true'));
    expect(screen.getByText('must start with /')).toBeInTheDocument();
    expect(screen.getByText('uses {sku}, which the endpoint path does not define')).toBeInTheDocument();
    // No field shows transforms: the summary names the pointer.
    expect(screen.getByRole('alert')).toHaveTextContent('policies › responseTransforms › #1 › transform: is required');
    expect(await screen.findByText('3 problems to fix.')).toBeInTheDocument();

    // Debounced: one dry run for the whole burst of typing, not one per key.
    const dryRuns = calls.filter((c) => c.path === '/validate/endpoint');
    expect(dryRuns.length).toBeLessThanOrEqual(2);
    expect(dryRuns.at(-1)?.body).toMatchObject({ method: 'GET', path: 'orders/{id}', target: { type: 'integration', integration: 'demo-upstream' } });

    await user.clear(path);
    await user.type(path, '/orders/{{id}');
    await waitFor(() => expect(screen.queryByText('must start with /')).not.toBeInTheDocument());
    expect(await screen.findByText('No problems found.')).toBeInTheDocument();
    expect(path).not.toHaveAttribute('aria-invalid', 'true');
  });

  it('maps a refused submit (400 problem) onto the fields the same way', async () => {
    mockApi((method, path) => {
      if (path === '/validate/endpoint') return { status: 200, body: { valid: true, errors: [] } };
      if (method === 'POST' && path === '/apis/shop/versions/v1/endpoints')
        return {
          status: 400,
          body: { type: 'https://portico.dev/problems/validation', title: 'Invalid request', status: 400, errors: [{ pointer: '/target/integration', detail: 'no integration "gone" exists in this tenant' }] },
        };
      return undefined;
    });
    const onDone = renderForm();
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: /Path template/ }), '/a');
    await user.click(screen.getByRole('button', { name: 'Add endpoint' }));
    expect(await screen.findByText('no integration "gone" exists in this tenant')).toBeInTheDocument();
    expect(onDone).not.toHaveBeenCalled();
  });

  it('shows a conflict (409) as an alert with its error id', async () => {
    mockApi((method, path) => {
      if (path === '/validate/endpoint') return { status: 200, body: { valid: true, errors: [] } };
      if (method === 'POST') return { status: 409, body: { title: 'Conflict', status: 409, detail: 'GET /a is already routed by endpoint ep1', errorId: 'abc123' } };
      return undefined;
    });
    renderForm();
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: /Path template/ }), '/a');
    await user.click(screen.getByRole('button', { name: 'Add endpoint' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('GET /a is already routed by endpoint ep1');
    expect(alert).toHaveTextContent('Error id abc123');
  });

  it('submits the document the server expects and closes', async () => {
    const calls = mockApi((method, path) => {
      if (path === '/validate/endpoint') return { status: 200, body: { valid: true, errors: [] } };
      if (method === 'POST') return { status: 201, body: { id: 'ep1' } };
      return undefined;
    });
    const onDone = renderForm();
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: /Path template/ }), '/products/{{id}');
    await user.type(screen.getByRole('textbox', { name: /Upstream path/ }), '/items/{{id}');
    await user.click(screen.getByRole('button', { name: 'Add endpoint' }));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    const post = calls.find((c) => c.method === 'POST' && c.path === '/apis/shop/versions/v1/endpoints');
    expect(post?.body).toEqual({ method: 'GET', path: '/products/{id}', target: { type: 'integration', integration: 'demo-upstream', path: '/items/{id}' }, policies: {} });
  });

  it('sends a stale-if-error window only when one is entered', async () => {
    const calls = mockApi((method, path) => {
      if (path === '/validate/endpoint') return { status: 200, body: { valid: true, errors: [] } };
      if (method === 'POST') return { status: 201, body: { id: 'ep1' } };
      return undefined;
    });
    const onDone = renderForm();
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: /Path template/ }), '/products/{{id}');
    await user.click(screen.getByRole('switch', { name: 'Cache responses' }));
    const stale = screen.getByRole('textbox', { name: /Serve stale on upstream error/ });
    await user.type(stale, '300');
    await user.click(screen.getByRole('button', { name: 'Add endpoint' }));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    const post = calls.find((c) => c.method === 'POST' && c.path === '/apis/shop/versions/v1/endpoints');
    expect((post?.body as { policies: unknown }).policies).toEqual({ cache: { ttlSeconds: 60, staleIfErrorSeconds: 300 } });
  });

  it('offers transforms and a workflow target when the tenant has them', async () => {
    const calls = mockApi((method, path) => {
      if (path === '/validate/endpoint') return { status: 200, body: { valid: true, errors: [] } };
      if (method === 'POST') return { status: 201, body: { id: 'ep1' } };
      return undefined;
    });
    const onDone = vi.fn();
    renderAs(
      'developer',
      <EndpointForm
        api="shop"
        version="v1"
        basePath="/shop"
        tenant="demo"
        integrations={integrations}
        transforms={[
          { slug: 'strip-pii', name: 'Strip PII', type: 'declarative', tests: { passed: true, results: [] } },
          { slug: 'camel', name: 'Camel case', type: 'wasm' },
        ]}
        workflows={[{ slug: 'checkout', name: 'Checkout', deployed: { ref: 'r', publishedAt: '2026-01-01T00:00:00Z', revision: 1 } }]}
        onDone={onDone}
      />,
    );
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: /Path template/ }), '/checkout');
    await user.click(screen.getByRole('radio', { name: 'Workflow' }));
    expect(screen.queryByRole('textbox', { name: /Upstream path/ })).not.toBeInTheDocument();
    const bulk = screen.getAllByRole('checkbox', { name: /To each record of an array body/ });
    expect(bulk[0]).toBeDisabled(); // nothing to apply per record yet
    await user.click(screen.getAllByLabelText(/^Request transforms/)[0]!);
    await user.click((await screen.findAllByRole('option', { name: 'Strip PII (strip-pii)', hidden: true }))[0]!);
    // A wasm transform without a module is marked: it cannot be published yet.
    expect(screen.getAllByRole('option', { name: 'Camel case (camel) · no module', hidden: true })).toHaveLength(2);
    // A bulk endpoint: the request transform applies to each record.
    await user.click(bulk[0]!);
    await user.click(screen.getByRole('button', { name: 'Add endpoint' }));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    const post = calls.find((c) => c.method === 'POST' && c.path === '/apis/shop/versions/v1/endpoints');
    expect(post?.body).toEqual({
      method: 'GET',
      path: '/checkout',
      target: { type: 'workflow', workflow: 'checkout' },
      policies: { requestTransforms: [{ transform: 'strip-pii', each: true }] },
    });
  });
});

describe('EndpointForm: inbound webhook auth', () => {
  const f = wh();
  const secretList = { status: 200, body: { items: [...f.secrets.body.items, { ...f.secrets.body.items[0]!, name: 'payments-old' }, { ...f.secrets.body.items[0]!, name: 'stripe-old' }] } };

  it('names up to two signing secrets from the tenant, with a tolerance; no scopes', async () => {
    const calls = mockApi((method, path) => {
      if (path === '/validate/endpoint') return { status: 200, body: { valid: true, errors: [] } };
      if (method === 'GET' && path === '/secrets?limit=500') return secretList;
      if (method === 'POST' && path === '/apis/shop/versions/v1/endpoints') return f.webhookAuthCreated;
      return undefined;
    });
    const onDone = vi.fn();
    // An endpoint that asked for an API key with a scope, switched to a webhook.
    renderAs(
      'developer',
      <EndpointForm
        api="shop"
        version="v1"
        basePath="/shop"
        tenant="demo"
        integrations={integrations}
        initial={{ method: 'POST', path: '/hooks', target: { type: 'integration', integration: 'demo-upstream' }, policies: { auth: { type: 'apiKey', scopes: ['orders:write'] } } }}
        onDone={onDone}
      />,
    );
    const user = userEvent.setup();
    expect(screen.getAllByLabelText(/^Required scopes/).length).toBeGreaterThan(0);
    await user.click(screen.getAllByLabelText('Authentication')[0]!);
    await user.click(await screen.findByRole('option', { name: 'Signed inbound webhook', hidden: true }));
    const picker = await screen.findByRole('combobox', { name: /^Signing secrets/ });
    // Scopes and roles are not a webhook's: the field goes, and so do the scopes.
    expect(screen.queryAllByLabelText(/^Required scopes/)).toHaveLength(0);

    await user.click(picker);
    await user.click(await screen.findByRole('option', { name: 'payments-sender', hidden: true }));
    await user.click(await screen.findByRole('option', { name: 'payments-old', hidden: true }));
    // Two at most (the current secret and the one being rotated out): a third pick is ignored.
    const third = screen.queryByRole('option', { name: 'stripe-old', hidden: true });
    if (third) await user.click(third);
    await user.type(screen.getByRole('textbox', { name: /Timestamp tolerance/ }), '600');
    await user.click(screen.getByRole('button', { name: 'Save endpoint' }));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    const posts = calls.filter((c) => c.method === 'POST' && c.path === '/apis/shop/versions/v1/endpoints');
    expect(posts).toHaveLength(1);
    const post = posts[0];
    expect((post?.body as { policies: unknown }).policies).toEqual({ auth: { type: 'webhook', secrets: ['payments-sender', 'payments-old'], toleranceSeconds: 600 } });
  });

  it('shows the server pointers at the secrets and the tolerance', async () => {
    let answer = f.webhookAuthMissingSecret;
    mockApi((method, path) => {
      if (path === '/validate/endpoint') return { status: 200, body: { valid: true, errors: [] } };
      if (method === 'GET' && path === '/secrets?limit=500') return secretList;
      if (method === 'POST' && path === '/apis/shop/versions/v1/endpoints') return answer;
      return undefined;
    });
    const onDone = renderForm();
    const user = userEvent.setup();
    await user.type(screen.getByRole('textbox', { name: /Path template/ }), '/hooks');
    await user.click(screen.getAllByLabelText('Authentication')[0]!);
    await user.click(await screen.findByRole('option', { name: 'Signed inbound webhook', hidden: true }));
    await user.click(screen.getAllByLabelText(/^Signing secrets/)[0]!);
    await user.click(await screen.findByRole('option', { name: 'stripe-old', hidden: true }));
    await user.click(screen.getByRole('button', { name: 'Add endpoint' }));
    // /policies/auth/secrets/0 is the first secret: named at the picker.
    expect(await screen.findByText('stripe-old: names no secret of this tenant; create it first (PUT /admin/v1/secrets/stripe-old)')).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: /^Signing secrets/ })).toHaveAttribute('aria-invalid', 'true');

    answer = f.webhookAuthInvalid;
    await user.type(screen.getByRole('textbox', { name: /Timestamp tolerance/ }), '7200');
    await user.click(screen.getByRole('button', { name: 'Add endpoint' }));
    expect(await screen.findByText('must be between 0 (300) and 3600')).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: /Timestamp tolerance/ })).toHaveAttribute('aria-invalid', 'true');
    const picker = screen.getByRole('combobox', { name: /^Signing secrets/ });
    expect(picker).toHaveAttribute('aria-invalid', 'true');
    // Every secrets pointer is shown at the picker, none in the summary.
    expect(screen.getByText(/at most 2 secrets/)).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(onDone).not.toHaveBeenCalled();
  });
});
