import { describe, expect, it } from 'vitest';
import { wf } from '../test/workflowFixtures';
import { layout } from './workflowLayout';
import { addCompensation, addStep, connect, docOf, locate, newStep, problemsByNode, removeStep, replaceStep, runStates } from './workflowModel';

const checkout = () => docOf(wf().workflow.body);

describe('workflow model edits', () => {
  it('inserts a step after the selected one, taking over its next', () => {
    const doc = checkout();
    const { doc: d, pointer } = addStep(doc, newStep(doc, 'wait'), '/steps/0');
    expect(pointer).toBe('/steps/1');
    expect(d.steps![0]).toMatchObject({ name: 'reserve', next: 'wait1' });
    expect(d.steps![1]).toMatchObject({ name: 'wait1', type: 'wait', next: 'charge' });
    expect(doc.steps![0]!.next).toBe('charge'); // the original is untouched
  });

  it('appends at the end, continuing from the open end of the flow', () => {
    const doc = checkout();
    const { doc: d } = addStep(doc, newStep(doc, 'set'));
    expect(d.steps!.at(-2)).toMatchObject({ name: 'receipt', next: 'set1' });
    expect(d.steps!.at(-1)).toMatchObject({ name: 'set1', type: 'set' });
  });

  it('removes a step and sends what went to it to its next', () => {
    const d = removeStep(checkout(), '/steps/1'); // charge
    expect(d.steps!.map((s) => s.name)).toEqual(['reserve', 'route', 'ship', 'receipt']);
    expect(d.steps![0]!.next).toBe('route');
  });

  it('renames a step everywhere it is named, compensations included', () => {
    let doc = checkout();
    doc = replaceStep(doc, '/steps/4', { ...doc.steps![4]!, name: 'thanks' });
    expect(doc.steps![2]!.choice!.default).toBe('thanks');
    expect(doc.steps![3]!.next).toBe('thanks');
    doc = replaceStep(doc, '/compensations/0', { ...doc.compensations![0]!, name: 'unreserve' });
    expect(doc.steps![0]!.compensate).toBe('unreserve');
  });

  it('connects a condition rule by its handle, and adds a compensation', () => {
    let doc = checkout();
    doc = connect(doc, '/steps/2', '/steps/4', 'rule-0');
    expect(doc.steps![2]!.choice!.rules[0]!.next).toBe('receipt');
    const r = addCompensation(doc, '/steps/1');
    expect(r.pointer).toBe('/compensations/1');
    expect(r.doc.steps![1]!.compensate).toBe('undoCharge');
    expect(r.doc.compensations![1]).toMatchObject({ name: 'undoCharge', type: 'call', call: { integration: 'backend' } });
  });

  it('maps a problem pointer to the node and field it names', () => {
    expect(locate('/steps/3/parallel/branches/0/steps/0/call/integration')).toEqual({ node: '/steps/3/parallel/branches/0/steps/0', field: '/call/integration' });
    expect(locate('/steps/3/parallel/branches/1/name')).toEqual({ node: '/steps/3/parallel/branches/1', field: '/name' });
    expect(locate('/compensations/0/call')).toEqual({ node: '/compensations/0', field: '/call' });
    expect(locate('/slug')).toBeNull();
    const { byNode, workflow } = problemsByNode(wf().invalid.body.errors!);
    expect(byNode.get('/steps/0')).toEqual([{ pointer: '/next', detail: 'names no step in this flow: "nowhere"' }]);
    expect(workflow).toEqual([]);
  });

  it('lays out every step, branch and compensation, with the undo link', () => {
    const { nodes, edges } = layout(checkout());
    const ids = nodes.map((n) => n.id);
    expect(ids).toEqual(expect.arrayContaining(['start', 'end', '/steps/0', '/steps/3', '/steps/3/parallel/branches/0', '/steps/3/parallel/branches/0/steps/0', '/compensations/0']));
    expect(edges.find((e) => e.className === 'wf-edge-compensation')).toMatchObject({ source: '/steps/0', target: '/compensations/0' });
    expect(edges.filter((e) => e.source === '/steps/2').map((e) => e.label)).toEqual(['input.body.express BooleanEquals true', 'otherwise']);
    // A step several paths join sits below all of them.
    const y = (id: string) => nodes.find((n) => n.id === id)!.position.y;
    expect(y('/steps/4')).toBeGreaterThan(y('/steps/3'));
    // Children come after their parents (React Flow needs that).
    for (const n of nodes) if (n.parentId) expect(ids.indexOf(n.parentId)).toBeLessThan(ids.indexOf(n.id));
  });
});

describe('what an execution did', () => {
  it('reads the failed run: charge failed, reserve compensated, release ran', () => {
    const f = wf();
    const m = runStates(f.executionFailed.body.history!, docOf(f.workflow.body));
    expect(Object.fromEntries(m)).toEqual({ reserve: 'compensated', charge: 'failed', release: 'undo' });
  });

  it('reads the successful run: every step on the path ran', () => {
    const f = wf();
    const m = runStates(f.executionSucceeded.body.history!);
    expect(Object.fromEntries(m)).toEqual({ reserve: 'ran', charge: 'ran', route: 'ran', ship: 'ran', mailNote: 'ran', printLabel: 'ran', receipt: 'ran' });
  });
});
