import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { PointerProblem } from '../components/JsonEditor';
import { mockApi, renderAs } from '../test/render';
import { Editor } from './TransformEditor';

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
      {p.error && <div>{p.error}</div>}
    </div>
  ),
}));

const doc = (sku: string) => JSON.stringify({ steps: [{ map: { fields: [{ to: '/sku', from: sku, required: true }] } }] });

describe('transform editor', () => {
  it('previews once per pause in typing, and points at the failing step', async () => {
    const calls = mockApi((method, path, body) => {
      if (method !== 'POST' || path !== '/transforms:preview') return undefined;
      const from = (body as { transform: { steps?: { map: { fields: { from: string }[] } }[] } }).transform.steps?.[0]?.map?.fields?.[0]?.from;
      if (from === 'body.sku')
        return {
          status: 200,
          body: { tests: [], publishable: true, error: { step: 0, name: 'map', rule: '/steps/0/map/fields/0', path: '/sku', detail: 'required value is missing' } },
        };
      if (from === '')
        return { status: 400, body: { status: 400, title: 'Invalid request', errors: [{ pointer: '/transform/steps/0/map/fields/0/from', detail: 'is not a valid expression' }] } };
      return {
        status: 200,
        body: { output: { body: { orderId: '7' } }, tests: [{ name: 'maps an order', pass: true }, { name: 'old case', pass: false, detail: 'body differs' }], publishable: false },
      };
    });
    renderAs('developer', <Editor />);
    const previews = () => calls.filter((c) => c.path === '/transforms:preview');

    // The template is previewed on open.
    expect(await screen.findByText('Preview up to date.')).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'Output message' })).toHaveValue(JSON.stringify({ body: { orderId: '7' } }, null, 2));
    expect(screen.getByText('maps an order')).toBeInTheDocument();
    expect(screen.getAllByText('pass')).toHaveLength(1);
    expect(screen.getByText('body differs')).toBeInTheDocument();
    expect(previews()).toHaveLength(1);

    // A burst of edits: one request, for the last text.
    const editor = screen.getByRole('textbox', { name: 'Transform document' });
    fireEvent.change(editor, { target: { value: doc('body.s') } });
    fireEvent.change(editor, { target: { value: doc('body.sk') } });
    fireEvent.change(editor, { target: { value: doc('body.sku') } });
    expect(screen.getByText('Previewing…')).toBeInTheDocument();
    expect(await screen.findByText('Step 1 (map) failed')).toBeInTheDocument();
    expect(previews()).toHaveLength(2);
    expect(previews()[1]?.body).toMatchObject({ transform: JSON.parse(doc('body.sku')) });
    expect(screen.getByText('required value is missing')).toBeInTheDocument();
    // The editor is told where: the rule's pointer in the document.
    expect(screen.getByTestId('problem-Transform document')).toHaveTextContent('/steps/0/map/fields/0: step 1 (map) failed: required value is missing');

    // A document the engine refuses: its pointers, without the /transform prefix.
    fireEvent.change(editor, { target: { value: doc('') } });
    expect(await screen.findByText('1 problem in the document')).toBeInTheDocument();
    expect(screen.getByRole('alert')).toHaveTextContent('steps › #1 › map › fields › #1 › from: is not a valid expression');
    expect(screen.getByTestId('problem-Transform document')).toHaveTextContent('/steps/0/map/fields/0/from: is not a valid expression');

    // Text that is not JSON is not sent.
    const before = previews().length;
    fireEvent.change(editor, { target: { value: '{"steps": [' } });
    expect(await screen.findByText('Fix the JSON to preview.')).toBeInTheDocument();
    await new Promise((r) => setTimeout(r, 400));
    expect(previews()).toHaveLength(before);
    expect(screen.getByRole('button', { name: 'Create transform' })).toBeDisabled();
  });

  it('adds the sample and its output as a test case', async () => {
    mockApi((method, path) => {
      if (method === 'POST' && path === '/transforms:preview') return { status: 200, body: { output: { body: { orderId: '7' } }, tests: [], publishable: true } };
      return undefined;
    });
    renderAs('developer', <Editor />);
    await screen.findByText('Preview up to date.');
    fireEvent.change(screen.getByRole('textbox', { name: 'New test case name' }), { target: { value: 'keeps the id' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add sample as test case' }));
    await waitFor(() => {
      const d = JSON.parse((screen.getByRole('textbox', { name: 'Transform document' }) as HTMLTextAreaElement).value) as { tests: { name: string; expect: unknown }[] };
      expect(d.tests.at(-1)).toMatchObject({ name: 'keeps the id', expect: { body: { orderId: '7' } } });
    });
  });
});
