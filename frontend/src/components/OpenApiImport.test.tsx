import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { describe, expect, it } from 'vitest';
import type { Role, VersionStatus } from '../api/types';
import { ApiDetail } from '../pages/ApiDetail';
import { oas } from '../test/openapiFixtures';
import { mockApi, renderAs, type Route as ApiRoute } from '../test/render';

const importPath = '/apis/orders/versions/v1/import-openapi';

/**
 * openVersion renders the version view of orders v1 (the fixtures' API)
 * against a fake server: the endpoints are the fixture's, without their
 * imported transforms until an import succeeds.
 */
function openVersion(role: Role, opts: { status?: VersionStatus; importAnswer?: ApiRoute } = {}) {
  const f = oas();
  let imported = false;
  const before = structuredClone(f.endpoints.body);
  for (const e of before.items) e.policies = {};
  const calls = mockApi((method, path, body) => {
    if (method === 'POST' && path === importPath) {
      const r = opts.importAnswer?.(method, path, body);
      if (r) return r;
      const dry = (body as { dryRun: boolean }).dryRun;
      if (!dry) imported = true;
      return dry ? f.importDryRun : f.imported;
    }
    if (method !== 'GET') return undefined;
    if (path === '/apis/orders') return { status: 200, body: { slug: 'orders', name: 'API orders', basePath: '/orders' } };
    if (path === '/apis/orders/versions?limit=500') return { status: 200, body: { items: [{ name: 'v1', status: opts.status ?? 'draft' }] } };
    if (path === '/apis/orders/versions/v1/endpoints') return { status: 200, body: imported ? f.endpoints.body : before };
    if (['/integrations?limit=500', '/transforms?limit=500', '/workflows?limit=500'].includes(path)) return { status: 200, body: { items: [] } };
    return undefined;
  });
  renderAs(
    role,
    <Routes>
      <Route path="/apis/:api" element={<ApiDetail />} />
    </Routes>,
    '/apis/orders?version=v1',
  );
  return { f, calls };
}

async function openPanel(role: Role = 'developer', opts: Parameters<typeof openVersion>[1] = {}) {
  const user = userEvent.setup();
  const ctx = openVersion(role, opts);
  await user.click(await screen.findByRole('button', { name: 'Import OpenAPI' }));
  const dialog = await screen.findByRole('dialog', { name: 'Import OpenAPI into v1' });
  const doc = await within(dialog).findByLabelText('OpenAPI document');
  return { ...ctx, user, dialog, doc: doc as HTMLTextAreaElement };
}

async function paste(user: ReturnType<typeof userEvent.setup>, doc: HTMLTextAreaElement, text: string) {
  await user.click(doc);
  await user.paste(text);
}

describe('OpenAPI import', () => {
  it.each([
    { role: 'viewer' as Role, offered: false },
    { role: 'developer' as Role, offered: true },
    { role: 'admin' as Role, offered: true },
  ])('is offered to $role: $offered', async ({ role, offered }) => {
    openVersion(role);
    expect(await screen.findByRole('table', { name: 'Endpoints of v1' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Import OpenAPI' }) !== null).toBe(offered);
  });

  it('is not offered on a retired version, as adding an endpoint is not', async () => {
    openVersion('developer', { status: 'retired' });
    expect(await screen.findByRole('button', { name: 'Import OpenAPI' })).toBeDisabled();
  });

  it('previews: a dry run of the text as pasted, its report as tables with counts', async () => {
    const { f, calls, user, dialog, doc } = await openPanel();
    expect(within(dialog).getByRole('button', { name: 'Apply…' })).toBeDisabled();
    await paste(user, doc, f.documents.orders);
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));

    const report = await within(dialog).findByRole('region', { name: 'Preview: nothing changed yet' });
    expect(calls.filter((c) => c.method === 'POST')).toEqual([{ method: 'POST', path: importPath, body: { document: f.documents.orders, dryRun: true } }]);
    expect(within(report).getByRole('heading', { name: 'Preview: nothing changed yet' })).toHaveFocus();
    expect(within(dialog).getByRole('status')).toHaveTextContent(
      '2 endpoints would get validation from the document; 1 operation skipped; 1 endpoint not described.',
    );
    expect(within(dialog).getByText('OpenAPI 3.0.3')).toBeInTheDocument();

    const matched = within(dialog).getByRole('region', { name: /^Matched/ });
    expect(within(matched).getByLabelText('2')).toBeInTheDocument();
    const rows = within(within(matched).getByRole('table', { name: 'Matched operations' })).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('GET/items');
    expect(rows[0]).toHaveTextContent('listItems /paths/~1orders~1items/get');
    expect(rows[0]).toHaveTextContent('Response 200: oas-ep-get-items-res');
    expect(rows[0]).toHaveTextContent('nullable became a "null" type');
    expect(rows[1]).toHaveTextContent('PUT/items/{id}');
    expect(rows[1]).toHaveTextContent('Request body: oas-ep-put-item-req');
    expect(rows[1]).toHaveTextContent('Responses 200, 4XX: oas-ep-put-item-res');
    expect(within(rows[0]!).queryByText('Imported')).not.toBeInTheDocument();

    // The generated transform, on demand.
    const toggle = within(rows[1]!).getByRole('button', { name: 'Show the generated transforms' });
    await user.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(within(matched).getByText('oas-ep-put-item-req (request)')).toBeInTheDocument();
    expect(within(matched).getByText('oas-ep-put-item-res (response)')).toBeInTheDocument();
    expect(within(matched).getAllByText(/"\$defs"/, { selector: 'pre' })).toHaveLength(2);

    const skipped = within(dialog).getByRole('region', { name: /^Skipped/ });
    expect(within(skipped).getByLabelText('1')).toBeInTheDocument();
    const skip = within(within(skipped).getByRole('table', { name: 'Skipped operations' })).getAllByRole('row')[1]!;
    expect(skip).toHaveTextContent('POST/orders/refunds');
    expect(skip).toHaveTextContent('/paths/~1orders~1refunds/post');
    expect(skip).toHaveTextContent('no endpoint of this version has this method and path');

    const uncovered = within(dialog).getByRole('region', { name: /^Endpoints no operation describes/ });
    const rowsU = within(within(uncovered).getByRole('table', { name: 'Endpoints no operation describes' })).getAllByRole('row').slice(1);
    expect(rowsU).toHaveLength(1);
    expect(rowsU[0]).toHaveTextContent('DELETE/items/{id}');

    // An edit makes the report stale: it goes, and Apply waits for a new preview.
    await user.type(doc, '\n');
    expect(within(dialog).queryByRole('region', { name: 'Preview: nothing changed yet' })).not.toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Apply…' })).toBeDisabled();
  });

  it('applies after a confirmation, then shows the result and refreshes the endpoints and transforms', async () => {
    const { f, calls, user, dialog, doc } = await openPanel();
    await paste(user, doc, f.documents.orders);
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    await within(dialog).findByRole('region', { name: 'Preview: nothing changed yet' });
    const reads = (p: string) => calls.filter((c) => c.method === 'GET' && c.path === p).length;
    const endpointReads = reads('/apis/orders/versions/v1/endpoints');
    const transformReads = reads('/transforms?limit=500');

    await user.click(within(dialog).getByRole('button', { name: 'Apply…' }));
    const confirm = within(dialog).getByRole('group', { name: 'Apply the import to v1?' });
    expect(confirm).toHaveTextContent("2 endpoints get the validation transforms of the preview; an earlier import's are replaced.");
    const go = within(confirm).getByRole('button', { name: 'Apply import' });
    expect(go).toHaveFocus();
    // Cancel asks nothing of the server.
    await user.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(1);

    await user.click(within(dialog).getByRole('button', { name: 'Apply…' }));
    await user.click(within(dialog).getByRole('button', { name: 'Apply import' }));
    const result = await within(dialog).findByRole('region', { name: 'Imported' });
    expect(calls.filter((c) => c.method === 'POST').at(-1)).toEqual({ method: 'POST', path: importPath, body: { document: f.documents.orders, dryRun: false } });
    expect(within(dialog).getByRole('status')).toHaveTextContent('2 endpoints got validation from the document; 1 operation skipped; 1 endpoint not described.');
    const rows = within(within(result).getByRole('table', { name: 'Matched operations' })).getAllByRole('row').slice(1);
    for (const r of rows) expect(r).toHaveTextContent('Imported');
    expect(within(dialog).getByRole('button', { name: 'Apply…' })).toBeDisabled();

    await waitFor(() => expect(reads('/apis/orders/versions/v1/endpoints')).toBeGreaterThan(endpointReads));
    expect(reads('/transforms?limit=500')).toBeGreaterThan(transformReads);
    // The version's table shows the imported transforms.
    const endpoints = screen.getByRole('table', { name: 'Endpoints of v1' });
    expect(await within(endpoints).findByText(/out: oas-ep-get-items-res/)).toBeInTheDocument();
    expect(within(endpoints).getByText(/in: oas-ep-put-item-req · out: oas-ep-put-item-res/)).toBeInTheDocument();
  });

  it('shows an endpoint the import could not change beside the others', async () => {
    const f = oas();
    const answer = structuredClone(f.imported);
    answer.body.matched![1]!.error = 'policies/requestTransforms: at most 8 transforms';
    const { user, dialog, doc } = await openPanel('developer', {
      importAnswer: (_m, _p, body) => ((body as { dryRun: boolean }).dryRun ? undefined : answer),
    });
    await paste(user, doc, f.documents.orders);
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    await user.click(await within(dialog).findByRole('button', { name: 'Apply…' }));
    await user.click(within(dialog).getByRole('button', { name: 'Apply import' }));
    await within(dialog).findByRole('region', { name: 'Imported' });
    expect(within(dialog).getByText('1 endpoint was not changed')).toBeInTheDocument();
    expect(within(dialog).getByRole('status')).toHaveTextContent('1 endpoint got validation from the document, 1 not changed;');
    expect(within(dialog).getByText('Not changed: policies/requestTransforms: at most 8 transforms')).toBeInTheDocument();
  });

  it('shows a refused document at its pointers, in the text', async () => {
    const f = oas();
    const { user, dialog, doc } = await openPanel('developer', {
      importAnswer: (_m, _p, body) => {
        const d = (body as { document: string }).document;
        return d === f.documents.invalid ? f.importInvalid : d === f.documents.unreadable ? f.importUnreadable : d === f.documents.swagger2 ? f.importSwagger2 : undefined;
      },
    });
    await paste(user, doc, f.documents.invalid);
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    const alert = (await within(dialog).findByText('The document was refused')).closest('[role=alert]') as HTMLElement;
    expect(alert).toHaveFocus();
    expect(alert).toHaveTextContent('/components/schemas/Item (line 7): unsupported \'type\' value "nope"');
    expect(doc).toHaveAttribute('aria-invalid', 'true');
    expect(within(dialog).getByText('Refused: 1 problem, listed below.')).toBeInTheDocument();
    await user.click(within(alert).getByRole('button', { name: 'Show in document' }));
    expect(doc).toHaveFocus();
    expect(doc.value.slice(doc.selectionStart, doc.selectionEnd)).toBe('{"type": "nope"}');
    expect(within(dialog).queryByRole('region', { name: /Preview/ })).not.toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Apply…' })).toBeDisabled();

    // Unreadable YAML: the parser's line.
    fireEvent.change(doc, { target: { value: f.documents.unreadable } });
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    const unreadable = (await within(dialog).findByText('The document was refused')).closest('[role=alert]') as HTMLElement;
    expect(unreadable).toHaveTextContent('The document (line 3): is not a readable OpenAPI document');
    await user.click(within(unreadable).getByRole('button', { name: 'Show in document' }));
    expect(doc.selectionStart).toBe(f.documents.unreadable.length);

    // Swagger 2.0: at /openapi, which the text lacks: its deepest place is the whole document, so no link.
    fireEvent.change(doc, { target: { value: f.documents.swagger2 } });
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    const swagger = (await within(dialog).findByText('The document was refused')).closest('[role=alert]') as HTMLElement;
    expect(swagger).toHaveTextContent('/openapi');
    expect(swagger).toHaveTextContent('Swagger 2.0 is not supported');
  });

  it('keeps to the size limit: a file or text over it is not sent; the server saying so is shown', async () => {
    const f = oas();
    const { user, dialog, doc, calls } = await openPanel('developer', { importAnswer: () => f.importTooLarge });
    expect(within(dialog).getByText(/up to 1\.00 MiB/)).toBeInTheDocument();
    const input = dialog.querySelector('input[type=file]') as HTMLInputElement;
    await user.upload(input, new File(['#'.repeat((1 << 20) + 1)], 'huge.yaml', { type: 'application/yaml' }));
    expect(await within(dialog).findByText('huge.yaml is 1.00 MiB: the import takes at most 1.00 MiB.')).toBeInTheDocument();
    expect(doc.value).toBe('');

    fireEvent.change(doc, { target: { value: 'x'.repeat(1 << 20) } });
    expect(within(dialog).getByText(/over the 1\.00 MiB the import takes/)).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Preview' })).toBeDisabled();

    // Near the limit, escapes can still push the request over: the server's 413 is shown.
    fireEvent.change(doc, { target: { value: 'openapi: 3.1.0\n' } });
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    expect(await within(dialog).findByText('the body exceeds 1048576 bytes')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(1);
  });

  it('reads a picked file into the document', async () => {
    const f = oas();
    const { user, dialog, doc } = await openPanel();
    const input = dialog.querySelector('input[type=file]') as HTMLInputElement;
    expect(input).toHaveAttribute('accept', expect.stringContaining('.yaml'));
    await user.upload(input, new File([f.documents.orders], 'orders.yaml', { type: 'application/yaml' }));
    await waitFor(() => expect(doc.value).toBe(f.documents.orders));
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    expect(await within(dialog).findByRole('region', { name: 'Preview: nothing changed yet' })).toBeInTheDocument();
  });

  it('warns that a published version changes at once, and shows what the server says', async () => {
    const f = oas();
    const { user, dialog, doc } = await openPanel('developer', { status: 'published', importAnswer: (_m, _p, body) => ((body as { dryRun: boolean }).dryRun ? undefined : f.importForbidden) });
    expect(within(dialog).getByText('v1 is published')).toBeInTheDocument();
    await paste(user, doc, f.documents.orders);
    await user.click(within(dialog).getByRole('button', { name: 'Preview' }));
    await user.click(await within(dialog).findByRole('button', { name: 'Apply…' }));
    expect(within(dialog).getByRole('group', { name: 'Apply the import to v1?' })).toHaveTextContent('The version is live: callers are validated at once.');
    await user.click(within(dialog).getByRole('button', { name: 'Apply import' }));
    expect(await within(dialog).findByText('your role (viewer) may not do this; it needs developer or above')).toBeInTheDocument();
    // The preview's report stays: nothing was changed.
    expect(within(dialog).getByRole('region', { name: 'Preview: nothing changed yet' })).toBeInTheDocument();
  });
});
