import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PointerProblem } from '../components/JsonEditor';
import { mods } from '../test/consoleFixtures';
import { mockApi, renderAs, type Route as ApiRoute } from '../test/render';
import { TransformEditor } from './TransformEditor';
import { TransformModules } from './TransformModules';

vi.mock('../components/JsonEditor', () => ({
  JsonEditor: (p: { label: string; value: string; onChange?: (v: string) => void; problems?: PointerProblem[]; error?: string }) => (
    <div>
      <textarea aria-label={p.label} value={p.value} readOnly={!p.onChange} onChange={(e) => p.onChange?.(e.currentTarget.value)} />
      {p.problems?.map((x) => (
        <div key={x.pointer + x.detail} data-testid={`problem-${p.label}`}>
          {x.pointer}: {x.detail}
        </div>
      ))}
      {p.error && <div>{p.error}</div>}
    </div>
  ),
}));

/**
 * FakeXHR stands in for XMLHttpRequest (which the upload uses for its
 * progress events): it reports the bytes as sent in two steps and asks the
 * mocked fetch for the answer, so the module upload goes through the same
 * fake management API as every other call.
 */
class FakeXHR {
  static bodies: Blob[] = [];
  /** When set, the answer waits for it (the test looks at the progress meanwhile). */
  static gate: Promise<void> | null = null;
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null; onload: (() => void) | null } = { onprogress: null, onload: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  status = 0;
  statusText = '';
  responseText = '';
  private method = '';
  private url = '';
  private headers: Record<string, string> = {};
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  abort() {}
  send(body: Blob) {
    FakeXHR.bodies.push(body);
    void (async () => {
      await new Promise((r) => setTimeout(r, 10));
      this.upload.onprogress?.({ loaded: Math.floor(body.size / 2), total: body.size, lengthComputable: true });
      await new Promise((r) => setTimeout(r, 10));
      this.upload.onload?.();
      await FakeXHR.gate;
      const res = await fetch(this.url, { method: this.method, headers: this.headers });
      this.status = res.status;
      this.responseText = await res.text();
      this.onload?.();
    })();
  }
}

afterEach(() => {
  vi.unstubAllGlobals();
  FakeXHR.bodies = [];
  FakeXHR.gate = null;
});

const f = mods();
const fileInput = () => document.querySelector<HTMLInputElement>('input[type=file]')!;
const wasmFile = () => new File([new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])], 'rate.wasm', { type: 'application/wasm' });

function renderEditor(role: 'developer' | 'viewer', extra: ApiRoute) {
  const calls = mockApi((method, path, body) => extra(method, path, body) ?? (method === 'GET' && path === '/transforms/rate-card' ? f.wasmCreated : undefined));
  vi.stubGlobal('XMLHttpRequest', FakeXHR);
  renderAs(
    role,
    <Routes>
      <Route path="/transforms/:transform" element={<TransformEditor />} />
    </Routes>,
    '/transforms/rate-card',
  );
  return calls;
}

describe('wasm transform: module upload and test cases', () => {
  it('uploads with progress; the answer shows the failing case with its detail', async () => {
    let stored = f.wasmCreated;
    const calls = renderEditor('developer', (method, path) => {
      if (method === 'PUT' && path === '/transforms/rate-card/module') return (stored = f.moduleUploaded);
      if (method === 'GET' && path === '/transforms/rate-card') return stored; // the list is read again after the upload
      return undefined;
    });
    const user = userEvent.setup();
    expect(await screen.findByText('The test cases run once a module is uploaded.')).toBeInTheDocument();
    expect(screen.getByText(/at most 16\.0 MiB \(6 MB on AWS\)/)).toBeInTheDocument();
    let answer = () => {};
    FakeXHR.gate = new Promise((r) => (answer = r));
    await user.upload(fileInput(), wasmFile());
    await user.click(screen.getByRole('button', { name: 'Upload and validate' }));
    expect(await screen.findByRole('progressbar', { name: 'Upload progress' })).toBeInTheDocument();
    expect(await screen.findByText(/^Uploaded 8 B: validating and running 3 test cases…/)).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'Upload progress' })).toHaveAttribute('aria-valuenow', '100');
    answer();

    expect(await screen.findByText('Module stored; test cases fail')).toBeInTheDocument();
    expect(screen.getByText(/2 of 3 test cases pass/)).toBeInTheDocument();
    // Not publishable while a case fails: the header says so.
    expect(screen.getByText('1 failing')).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    const results = screen.getByLabelText('Test case results');
    const row = (name: string) => within(results).getByText(name).closest('.mantine-Group-root') as HTMLElement;
    expect(within(row('echoes the body')).getByText('pass')).toBeInTheDocument();
    expect(within(row('echoes CSV')).getByText('pass')).toBeInTheDocument();
    expect(within(row('adds a total')).getByText('fail')).toBeInTheDocument();
    expect(within(row('adds a total')).getByText('output {"qty":2}, want {"qty":2,"total":20}')).toBeInTheDocument();
    // The module is now the transform's.
    expect(screen.getAllByText('844eb176458750c8…')).toHaveLength(2); // the module card and the upload's answer
    expect(calls.filter((c) => c.method === 'PUT')).toHaveLength(1);
    expect(FakeXHR.bodies[0]?.size).toBe(8);
  });

  it('shows a refused module, and refuses a file over the size limit before sending it', async () => {
    renderEditor('developer', (method, path) => (method === 'PUT' && path === '/transforms/rate-card/module' ? f.moduleRefused : undefined));
    const user = userEvent.setup();
    await screen.findByText('The test cases run once a module is uploaded.');
    const input = fileInput();
    const big = wasmFile();
    Object.defineProperty(big, 'size', { value: (16 << 20) + 1 });
    await user.upload(input, big);
    expect(screen.getByText(/larger than the 16\.0 MiB a module may be/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Upload and validate' })).toBeDisabled();

    await user.upload(input, wasmFile());
    await user.click(screen.getByRole('button', { name: 'Upload and validate' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The module was refused');
    expect(alert).toHaveTextContent('missing export "alloc"');
  });

  it('saves the test cases with the transform; refused cases are pointed at in the editor', async () => {
    let refuse = true;
    const calls = renderEditor('developer', (method, path) => {
      if (method === 'PUT' && path === '/transforms/rate-card') {
        if (refuse) return { ...f.testCasesInvalid, body: { ...f.testCasesInvalid.body, instance: '/admin/v1/transforms/rate-card' } };
        return f.wasmSaved;
      }
      return undefined;
    });
    const user = userEvent.setup();
    const editor = await screen.findByRole('textbox', { name: 'Test cases' });
    expect(JSON.parse((editor as HTMLTextAreaElement).value)).toHaveLength(3);
    fireEvent.change(editor, { target: { value: JSON.stringify([{ name: '', input: { a: 1 }, expect: { a: 1 }, expectError: 'x' }]) } });
    await user.click(screen.getByRole('button', { name: 'Save transform' }));
    const problems = await screen.findAllByTestId('problem-Test cases');
    expect(problems.map((p) => p.textContent)).toEqual(['/0/name: is required', '/0: needs exactly one of expect (JSON), expectText and expectError']);
    expect(calls.find((c) => c.method === 'PUT')?.body).toMatchObject({ slug: 'rate-card', type: 'wasm', testCases: [{ name: '' }] });

    // Not JSON: nothing is sent.
    fireEvent.change(editor, { target: { value: '[{' } });
    expect(screen.getByRole('button', { name: 'Save transform' })).toBeDisabled();

    refuse = false;
    fireEvent.change(editor, { target: { value: JSON.stringify(f.wasmSaved.body.testCases) } });
    await user.click(screen.getByRole('button', { name: 'Save transform' }));
    await waitFor(() => expect(screen.getByText('Results at the last save or module upload.')).toBeInTheDocument());
    expect(within(screen.getByLabelText('Test case results')).getByText('pass')).toBeInTheDocument();
  });

  it('a viewer reads the cases and results without an upload', async () => {
    renderEditor('viewer', () => (undefined));
    expect(await screen.findByRole('textbox', { name: 'Test cases' })).toHaveAttribute('readonly');
    expect(document.querySelector('input[type=file]')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Upload and validate' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Add a test case' })).not.toBeInTheDocument();
  });
});

describe('stored modules and the sweep', () => {
  const list = (method: string, path: string) => (method === 'GET' && path === '/transform-modules' ? f.modules : undefined);

  it('lists the modules with their transforms; an admin previews a sweep and sees the grace period refused', async () => {
    const calls = mockApi((method, path, body) => {
      if (method === 'POST' && path === '/transform-modules:sweep') return (body as { graceSeconds?: number }).graceSeconds === 36 ? f.sweepInvalid : f.sweepDryRun;
      return list(method, path);
    });
    renderAs('admin', <TransformModules />);
    const user = userEvent.setup();
    const table = await screen.findByRole('table', { name: 'WebAssembly modules' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByText('unused')).toBeInTheDocument();
    expect(within(rows[1]!).getByRole('link', { name: 'rate-card' })).toHaveAttribute('href', '/transforms/rate-card');

    await user.click(screen.getByRole('button', { name: 'Sweep unused modules' }));
    const dlg = await screen.findByRole('dialog', { name: 'Sweep unused modules' });
    await user.click(within(dlg).getByRole('button', { name: 'Preview (dry run)' }));
    expect(await within(dlg).findByText('A sweep would delete 0 modules')).toBeInTheDocument();
    expect(within(dlg).getByText('2 kept (1 unused but within the grace period).')).toBeInTheDocument();
    expect(calls.at(-1)?.body).toEqual({ dryRun: true, graceSeconds: 86400 });

    const grace = within(dlg).getByRole('textbox', { name: /Grace period/ });
    await user.clear(grace);
    await user.type(grace, '0.01');
    await user.click(within(dlg).getByRole('button', { name: 'Delete unused modules' }));
    expect(await within(dlg).findByText('must be between 300 and 31536000 seconds (default 86400)')).toBeInTheDocument();
    expect(grace).toHaveAttribute('aria-invalid', 'true');
    expect(calls.at(-1)?.body).toEqual({ graceSeconds: 36 });
  });

  it('offers the sweep to admins only', async () => {
    mockApi(list);
    renderAs('developer', <TransformModules />);
    expect(await screen.findByRole('table', { name: 'WebAssembly modules' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Sweep unused modules' })).not.toBeInTheDocument();
  });
});
