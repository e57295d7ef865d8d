import { MarkerType, type Edge, type Node } from '@xyflow/react';
import type { Condition, WorkflowStep } from '../api/types';
import type { WorkflowDoc } from './workflowModel';

/** What a step node shows; the node's id is the step's pointer. */
export type StepNodeData = {
  step: WorkflowStep;
  pointer: string;
  compensation: boolean;
  /** The name of the compensating step, or of the step this one undoes. */
  undoes?: string;
  [k: string]: unknown;
};

export type BranchNodeData = { label: string; pointer: string; [k: string]: unknown };
export type TerminalNodeData = { label: string; [k: string]: unknown };

export type FlowNode = Node<StepNodeData, 'step'> | Node<BranchNodeData, 'branch'> | Node<TerminalNodeData, 'terminal'>;

export const NODE_W = 210;
export const NODE_H = 66;
const GAP_X = 36;
const GAP_Y = 56;
const PAD = 16;
const HEADER = 30;
const TERMINAL_W = 90;
const TERMINAL_H = 32;
const arrow = { type: MarkerType.ArrowClosed };

interface Size {
  w: number;
  h: number;
}

/** conditionLabel is a short text for a choice rule's condition. */
export function conditionLabel(c: Condition): string {
  if (c.and) return c.and.map(conditionLabel).join(' and ');
  if (c.or) return c.or.map(conditionLabel).join(' or ');
  if (c.not) return `not (${conditionLabel(c.not)})`;
  const v = c.value === undefined ? '' : ` ${typeof c.value === 'string' ? c.value : JSON.stringify(c.value)}`;
  return `${(c.variable ?? '').replace(/^\$\./, '')} ${c.op ?? '?'}${v}`.trim();
}

/** targetsOf lists where a step goes: next, each rule, default. */
export function targetsOf(s: WorkflowStep): { to: string; handle: string; label?: string }[] {
  const out: { to: string; handle: string; label?: string }[] = [];
  if (s.type === 'choice' && s.choice) {
    s.choice.rules?.forEach((r, i) => r.next && out.push({ to: r.next, handle: `rule-${i}`, label: conditionLabel(r.condition) }));
    if (s.choice.default) out.push({ to: s.choice.default, handle: 'default', label: 'otherwise' });
  } else if (s.next) out.push({ to: s.next, handle: 'next' });
  return out;
}

/**
 * rows orders a list's steps into rows: each step one row below the
 * furthest step that leads to it (longest path from the start, along next,
 * rules and default, ignoring the edges that loop back), so a step that
 * several paths join sits below all of them; steps nothing reaches come last.
 */
function rows(steps: WorkflowStep[], startAt?: string): number[][] {
  if (steps.length === 0) return [];
  const index = new Map(steps.map((s, i) => [s.name, i]));
  const out = steps.map((s) => targetsOf(s).flatMap((t) => (index.has(t.to) ? [index.get(t.to)!] : [])));
  const start = startAt && index.has(startAt) ? index.get(startAt)! : 0;
  // Depth-first from the start: forward edges only (a loop's way back is dropped).
  const state = new Map<number, 'open' | 'done'>();
  const forward: [number, number][] = [];
  const order: number[] = [];
  const visit = (i: number) => {
    state.set(i, 'open');
    for (const j of out[i]!) {
      if (state.get(j) === 'open') continue;
      forward.push([i, j]);
      if (!state.has(j)) visit(j);
    }
    state.set(i, 'done');
    order.push(i);
  };
  visit(start);
  const depth = new Map<number, number>([[start, 0]]);
  for (const i of order.reverse()) {
    for (const [a, b] of forward) if (a === i && depth.has(a)) depth.set(b, Math.max(depth.get(b) ?? 0, depth.get(a)! + 1));
  }
  let max = Math.max(...depth.values());
  steps.forEach((_, i) => {
    if (!depth.has(i)) depth.set(i, ++max);
  });
  const rs: number[][] = [];
  steps.forEach((_, i) => {
    const d = depth.get(i)!;
    (rs[d] ??= []).push(i);
  });
  return rs.filter(Boolean);
}

/**
 * layout turns the model into React Flow nodes and edges: steps top to
 * bottom from Start to End, a parallel step as a group holding a column
 * per branch, compensating steps in a column on the right with a dashed
 * "undo" link from the step they undo.
 */
export function layout(doc: WorkflowDoc): { nodes: FlowNode[]; edges: Edge[] } {
  const nodes: FlowNode[] = [];
  const edges: Edge[] = [];

  const size = (s: WorkflowStep): Size => {
    if (s.type !== 'parallel' || !s.parallel) return { w: NODE_W, h: NODE_H };
    const bs = (s.parallel.branches ?? []).map((b) => listSize(b.steps ?? [], b.startAt));
    const w = bs.reduce((a, b) => a + b.w + PAD * 2, 0) + GAP_X * Math.max(0, bs.length - 1);
    const h = Math.max(NODE_H, ...bs.map((b) => b.h + HEADER + PAD));
    return { w: Math.max(NODE_W, w + PAD * 2), h: h + HEADER + PAD };
  };
  const listSize = (steps: WorkflowStep[], startAt?: string): Size => {
    const rs = rows(steps, startAt);
    let w = NODE_W;
    let h = 0;
    for (const r of rs) {
      const sizes = r.map((i) => size(steps[i]!));
      w = Math.max(w, sizes.reduce((a, s) => a + s.w, 0) + GAP_X * (r.length - 1));
      h += Math.max(...sizes.map((s) => s.h)) + GAP_Y;
    }
    return { w, h: Math.max(0, h - GAP_Y) };
  };

  /** place lays out a list at (x0, y0) (relative to parent); returns its size. */
  const place = (steps: WorkflowStep[], list: string, x0: number, y0: number, width: number, parentId: string | undefined, startAt?: string, compensation = false) => {
    let y = y0;
    for (const r of rows(steps, startAt)) {
      const sizes = r.map((i) => size(steps[i]!));
      const rowW = sizes.reduce((a, s) => a + s.w, 0) + GAP_X * (r.length - 1);
      let x = x0 + (width - rowW) / 2;
      r.forEach((i, k) => {
        const s = steps[i]!;
        const pointer = `${list}/${i}`;
        const sz = sizes[k]!;
        addStep(s, pointer, x, y, sz, parentId, compensation);
        x += sz.w + GAP_X;
      });
      y += Math.max(...sizes.map((s) => s.h)) + GAP_Y;
    }
    // Edges between the list's steps.
    const byName = new Map(steps.map((s, i) => [s.name, `${list}/${i}`]));
    steps.forEach((s, i) => {
      for (const t of targetsOf(s)) {
        const target = byName.get(t.to);
        if (!target) continue;
        edges.push({
          id: `${list}/${i}->${t.handle}`,
          source: `${list}/${i}`,
          target,
          sourceHandle: s.type === 'choice' ? t.handle : undefined,
          label: t.label,
          className: t.handle === 'default' ? 'wf-edge-default' : s.type === 'choice' ? 'wf-edge-rule' : 'wf-edge-next',
          markerEnd: arrow,
          zIndex: 1,
        });
      }
    });
  };

  const addStep = (s: WorkflowStep, pointer: string, x: number, y: number, sz: Size, parentId: string | undefined, compensation: boolean) => {
    if (s.type === 'parallel' && s.parallel) {
      nodes.push({
        id: pointer,
        type: 'step',
        position: { x, y },
        data: { step: s, pointer, compensation },
        style: { width: sz.w, height: sz.h },
        width: sz.w,
        height: sz.h,
        ...(parentId ? { parentId, extent: 'parent' as const } : {}),
      });
      let bx = PAD;
      (s.parallel.branches ?? []).forEach((b, bi) => {
        const bsz = listSize(b.steps ?? [], b.startAt);
        const bw = bsz.w + PAD * 2;
        const bh = sz.h - HEADER - PAD;
        const bid = `${pointer}/parallel/branches/${bi}`;
        nodes.push({
          id: bid,
          type: 'branch',
          position: { x: bx, y: HEADER + 8 },
          data: { label: b.name, pointer: bid },
          style: { width: bw, height: bh - 8 },
          width: bw,
          height: bh - 8,
          parentId: pointer,
          extent: 'parent',
          draggable: false,
          selectable: false,
        });
        place(b.steps ?? [], `${bid}/steps`, PAD, HEADER, bsz.w, bid, b.startAt);
        bx += bw + GAP_X;
      });
      return;
    }
    nodes.push({
      id: pointer,
      type: 'step',
      position: { x, y },
      data: { step: s, pointer, compensation, undoes: compensation ? undefined : s.compensate },
      width: NODE_W,
      height: NODE_H,
      ...(parentId ? { parentId, extent: 'parent' as const } : {}),
    });
  };

  const steps = doc.steps ?? [];
  const main = listSize(steps, doc.startAt);
  const startY = 0;
  const flowY = TERMINAL_H + GAP_Y;
  nodes.push({ id: 'start', type: 'terminal', position: { x: (main.w - TERMINAL_W) / 2, y: startY }, data: { label: 'Start' }, width: TERMINAL_W, height: TERMINAL_H, selectable: false, draggable: false });
  place(steps, '/steps', 0, flowY, main.w, undefined, doc.startAt);
  const endY = flowY + main.h + GAP_Y;
  nodes.push({ id: 'end', type: 'terminal', position: { x: (main.w - TERMINAL_W) / 2, y: endY }, data: { label: 'End' }, width: TERMINAL_W, height: TERMINAL_H, selectable: false, draggable: false });
  const first = steps.findIndex((s) => s.name === doc.startAt);
  edges.push({ id: 'start->', source: 'start', target: steps.length ? `/steps/${first < 0 ? 0 : first}` : 'end', className: 'wf-edge-next', markerEnd: arrow });
  steps.forEach((s, i) => {
    const ends = s.type !== 'choice' && s.type !== 'fail' && !s.next;
    if (ends) edges.push({ id: `/steps/${i}->end`, source: `/steps/${i}`, target: 'end', className: 'wf-edge-next', markerEnd: arrow });
  });

  // Compensations: a column on the right, each beside the first step it undoes.
  const comps = doc.compensations ?? [];
  const compX = main.w + GAP_X * 3;
  const used = new Set<number>();
  comps.forEach((c, i) => {
    const pointer = `/compensations/${i}`;
    const owner = nodes.find((n) => n.type === 'step' && !n.parentId && (n.data as StepNodeData).step.compensate === c.name);
    let y = owner ? owner.position.y : flowY + i * (NODE_H + GAP_Y);
    while (used.has(Math.round(y))) y += NODE_H + 12;
    used.add(Math.round(y));
    const ownerName = owner ? (owner.data as StepNodeData).step.name : undefined;
    nodes.push({ id: pointer, type: 'step', position: { x: compX, y }, data: { step: c, pointer, compensation: true, undoes: ownerName }, width: NODE_W, height: NODE_H });
  });
  for (const n of [...nodes]) {
    if (n.type !== 'step') continue;
    const d = n.data as StepNodeData;
    if (d.compensation || !d.step.compensate) continue;
    const ci = comps.findIndex((c) => c.name === d.step.compensate);
    if (ci < 0) continue;
    edges.push({
      id: `${n.id}~undo`,
      source: n.id,
      sourceHandle: 'undo',
      target: `/compensations/${ci}`,
      targetHandle: 'undo-in',
      label: 'undo',
      className: 'wf-edge-compensation',
      style: { strokeDasharray: '6 4' },
      markerEnd: arrow,
    });
  }
  return { nodes, edges };
}
