import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Role } from '../api/types';
import { wh } from '../test/consoleFixtures';
import { mockApi, renderAs, type Route } from '../test/render';
import { Webhooks } from './Webhooks';

const f = wh();
const sub = f.webhookCreated.body;

/** server answers the webhook routes with the fixtures; extra routes first. */
function server(extra: Route = () => undefined) {
  return mockApi((method, path, body) => {
    const r = extra(method, path, body);
    if (r) return r;
    if (method === 'GET' && path === '/webhooks?limit=500') return f.webhooks;
    if (method === 'GET' && path === `/webhooks/${sub.id}/deliveries?limit=50`) return f.deliveries;
    return undefined;
  });
}

describe('Webhooks', () => {
  it('creates a subscription, shows the signing secret once, and maps refused fields', async () => {
    let list = { status: 200, body: { items: [] as unknown[] } };
    let attempt = 0;
    const calls = server((method, path) => {
      if (method === 'GET' && path === '/webhooks?limit=500') return list;
      if (method === 'GET' && path.endsWith('/deliveries?limit=50')) return { status: 200, body: { items: [] } };
      if (method === 'POST' && path === '/webhooks') {
        attempt++;
        if (attempt === 1) return f.webhookInvalid;
        list = f.webhooks;
        return f.webhookCreated;
      }
      return undefined;
    });
    renderAs('admin', <Webhooks />);
    const user = userEvent.setup();
    expect(await screen.findByText('No subscriptions yet.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'New subscription' }));
    const form = await screen.findByRole('form', { name: 'New webhook subscription' });
    await user.type(within(form).getByRole('textbox', { name: /^URL/ }), 'ftp://hooks.example.com');
    await user.click(within(form).getByRole('button', { name: 'Create subscription' }));
    // The server's pointers land on their fields: /url, and /events/0 on the event types.
    expect(await within(form).findByText('must be an absolute http or https URL')).toBeInTheDocument();
    expect(within(form).getByText(/#1: must be "\*" or a dotted event type/)).toBeInTheDocument();
    expect(within(form).getByRole('textbox', { name: /^URL/ })).toHaveAttribute('aria-invalid', 'true');

    const url = within(form).getByRole('textbox', { name: /^URL/ });
    await user.clear(url);
    await user.type(url, 'https://hooks.example.com/portico');
    await user.click(within(form).getByRole('button', { name: 'Create subscription' }));
    expect(calls.filter((c) => c.method === 'POST').at(-1)?.body).toEqual({ url: 'https://hooks.example.com/portico', events: ['config.changed'] });

    // The secret of the 201, once: closing the dialog drops it.
    const shown = await screen.findByRole('dialog', { name: 'Signing secret issued' });
    expect(within(shown).getByTestId('secret-value')).toHaveTextContent(sub.secret);
    await user.click(within(shown).getByRole('button', { name: 'I have copied it' }));
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Signing secret issued' })).not.toBeInTheDocument());
    expect(screen.queryByText(sub.secret)).not.toBeInTheDocument();
    // The list has the new subscription, and its (empty) delivery log is open.
    const table = await screen.findByRole('table', { name: 'Webhook subscriptions' });
    expect(within(table).getByText(sub.url)).toBeInTheDocument();
    expect(await screen.findByText(/No deliveries yet/)).toBeInTheDocument();
  });

  it('renders the delivery log: each state, every attempt with status, error, duration', async () => {
    server();
    renderAs('viewer', <Webhooks />, `/webhooks?subscription=${sub.id}`);
    const log = await screen.findByRole('table', { name: `Deliveries to ${sub.url}` });
    const rows = within(log).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getByText(/^msg_/).textContent)).toEqual(['msg_delivered', 'msg_failed', 'msg_pending', 'msg_skipped']);
    const [delivered, failed, pending, skipped] = rows as [HTMLElement, HTMLElement, HTMLElement, HTMLElement];
    expect(within(delivered).getByText('delivered')).toBeInTheDocument();
    const tries = within(within(delivered).getByRole('list', { name: 'Attempts of msg_delivered' })).getAllByRole('listitem');
    expect(tries).toHaveLength(2);
    expect(tries[0]).toHaveTextContent('HTTP 503');
    expect(tries[0]).toHaveTextContent('41 ms');
    expect(tries[1]).toHaveTextContent('HTTP 204');
    expect(within(failed).getByText('failed')).toBeInTheDocument();
    expect(within(failed).getByText('no answer')).toBeInTheDocument();
    expect(within(failed).getByText(/connection refused/)).toBeInTheDocument();
    expect(within(pending).getByText('pending')).toBeInTheDocument();
    expect(within(pending).getByText('HTTP 429')).toBeInTheDocument();
    expect(within(skipped).getByText('skipped')).toBeInTheDocument();
    expect(within(skipped).getByText('Not sent.')).toBeInTheDocument();
    // A viewer reads; nothing to change.
    expect(screen.queryByRole('button', { name: /^Redeliver/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'New subscription' })).not.toBeInTheDocument();
  });

  it('pages through an older log', async () => {
    const items = f.deliveries.body.items;
    const calls = server((_method, path) => {
      if (path === `/webhooks/${sub.id}/deliveries?limit=50`) return { status: 200, body: { items: items.slice(0, 2), nextCursor: 'c2' } };
      if (path === `/webhooks/${sub.id}/deliveries?limit=50&cursor=c2`) return { status: 200, body: { items: items.slice(2) } };
      return undefined;
    });
    renderAs('viewer', <Webhooks />, `/webhooks?subscription=${sub.id}`);
    const user = userEvent.setup();
    expect(await screen.findByText('msg_failed')).toBeInTheDocument();
    expect(screen.queryByText('msg_skipped')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Load older deliveries' }));
    expect(await screen.findByText('msg_skipped')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Load older deliveries' })).not.toBeInTheDocument();
    expect(calls.filter((c) => c.path.includes('/deliveries'))).toHaveLength(2);
  });

  it('redelivers: the answer replaces the row; a busy message is explained', async () => {
    const calls = server((method, path) => {
      if (method === 'POST' && path === `/webhooks/${sub.id}/deliveries/msg_failed/retry`) return f.redelivered;
      if (method === 'POST' && path === `/webhooks/${sub.id}/deliveries/msg_pending/retry`) return f.redeliverBusy;
      return undefined;
    });
    renderAs('admin', <Webhooks />, `/webhooks?subscription=${sub.id}`);
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Redeliver msg_failed' }));
    expect(await screen.findByRole('status')).toHaveTextContent('Redelivered msg_failed: delivered (HTTP 200).');
    const log = screen.getByRole('table', { name: `Deliveries to ${sub.url}` });
    const row = within(log).getByText('msg_failed').closest('tr')!;
    expect(within(row).getByText('delivered')).toBeInTheDocument();
    expect(within(row).getAllByRole('listitem')).toHaveLength(3);
    expect(calls.some((c) => c.method === 'POST' && c.path.endsWith('/msg_failed/retry'))).toBe(true);

    await user.click(screen.getByRole('button', { name: 'Redeliver msg_pending' }));
    expect(await screen.findByText('Could not redeliver msg_pending')).toBeInTheDocument();
    expect(screen.getByText('the message is being delivered right now; retry shortly')).toBeInTheDocument();
  });

  it('deletes a subscription after confirming', async () => {
    let gone = false;
    const calls = server((method, path) => {
      if (method === 'DELETE' && path === `/webhooks/${sub.id}`) {
        gone = true;
        return { status: f.webhookDeleted.status }; // 204: no body
      }
      if (method === 'GET' && path === '/webhooks?limit=500' && gone) return { status: 200, body: { items: [] } };
      return undefined;
    });
    renderAs('admin', <Webhooks />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: `Manage ${sub.url}` }));
    await user.click(await screen.findByRole('menuitem', { name: 'Delete' }));
    const dlg = await screen.findByRole('dialog', { name: 'Delete this subscription?' });
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);
    await user.click(within(dlg).getByRole('button', { name: 'Delete subscription' }));
    expect(await screen.findByText('No subscriptions yet.')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(1);
  });

  it.each<[Role, boolean]>([
    ['viewer', false],
    ['developer', false],
    ['admin', true],
    ['owner', true],
  ])('%s is offered changes: %s', async (role, manage) => {
    server();
    renderAs(role, <Webhooks />, `/webhooks?subscription=${sub.id}`);
    expect(await screen.findByText('msg_failed')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: `Delivery log of ${sub.url}` })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'New subscription' }) !== null).toBe(manage);
    expect(screen.queryByRole('button', { name: `Manage ${sub.url}` }) !== null).toBe(manage);
    expect(screen.queryAllByRole('button', { name: /^Redeliver / }).length > 0).toBe(manage);
    // A test send is a developer's check of a receiver.
    expect(screen.queryByRole('button', { name: `Send test to ${sub.url}` }) !== null).toBe(role !== 'viewer');
  });

  it.each([
    ['webhookTested', 'The receiver answered HTTP 200 in 37 ms', '{"ok":true}'],
    ['webhookTestRefused', 'The receiver answered HTTP 401 in 12 ms', 'invalid signature: [redacted] is not ours'],
    ['webhookTestNoAnswer', 'No answer from the receiver after 10000 ms', 'no answer: dial tcp 203.0.113.9:443: i/o timeout'],
  ] as const)('sends a test event (%s) and shows the receiver\'s answer', async (fixture, title, detail) => {
    const calls = server((method, path) => (method === 'POST' && path === `/webhooks/${sub.id}/test` ? f[fixture] : undefined));
    renderAs('developer', <Webhooks />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: `Send test to ${sub.url}` }));
    const result = await screen.findByTestId('webhook-test-result');
    expect(await within(result).findByText(title)).toBeInTheDocument();
    expect(within(result).getByText(detail, { exact: false })).toBeInTheDocument();
    expect(calls.filter((c) => c.path.endsWith('/test'))).toHaveLength(1);
  });

  it('edits and pauses a subscription with its revision; refusals are shown', async () => {
    let answer: { status: number; body: unknown } = f.webhookPatchInvalid;
    const calls = server((method, path) => (method === 'PATCH' && path === `/webhooks/${sub.id}` ? answer : undefined));
    renderAs('admin', <Webhooks />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: `Manage ${sub.url}` }));
    await user.click(await screen.findByRole('menuitem', { name: 'Edit or pause' }));
    const form = await screen.findByRole('form', { name: 'Edit webhook subscription' });
    expect(within(form).getByRole('textbox', { name: /^URL/ })).toHaveValue(sub.url);
    await user.click(within(form).getByRole('switch', { name: /^Paused/ }));
    await user.click(within(form).getByRole('button', { name: 'Save subscription' }));
    expect(await within(form).findByText('must be an absolute http or https URL')).toBeInTheDocument();
    expect(within(form).getByText('must list at least one event type (or "*")')).toBeInTheDocument();
    expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ revision: 1, disabled: true });

    answer = f.webhookPatchStale;
    await user.click(within(form).getByRole('button', { name: 'Save subscription' }));
    expect(await within(form).findByText(/the resource changed since you read it/)).toBeInTheDocument();

    answer = f.webhookPatched;
    await user.click(within(form).getByRole('button', { name: 'Save subscription' }));
    await waitFor(() => expect(screen.queryByRole('form', { name: 'Edit webhook subscription' })).not.toBeInTheDocument());
  });

  it('rotates the signing secret: the new one is shown once, the grace period refused at its field', async () => {
    let answer: { status: number; body: unknown } = f.webhookRotateInvalid;
    const calls = server((method, path) => (method === 'POST' && path === `/webhooks/${sub.id}/rotate-secret` ? answer : undefined));
    renderAs('admin', <Webhooks />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: `Manage ${sub.url}` }));
    await user.click(await screen.findByRole('menuitem', { name: 'Rotate signing secret' }));
    const form = await screen.findByRole('form', { name: 'Rotate the signing secret' });
    await user.click(within(form).getByRole('button', { name: 'Rotate secret' }));
    expect(await within(form).findByText('must be between 0 and 604800 seconds')).toBeInTheDocument();
    expect(within(form).getByRole('textbox', { name: /^Previous secret valid for/ })).toHaveAttribute('aria-invalid', 'true');
    expect(calls.find((c) => c.path.endsWith('/rotate-secret'))?.body).toEqual({ graceSeconds: 86400 });

    answer = f.webhookRotated;
    await user.click(within(form).getByRole('button', { name: 'Rotate secret' }));
    const shown = await screen.findByRole('dialog', { name: 'New signing secret issued' });
    expect(within(shown).getByTestId('secret-value')).toHaveTextContent(f.webhookRotated.body.secret);
    expect(within(shown).getByText(/with the previous secret too until/)).toBeInTheDocument();
  });
});
