import type { ExecutionEvent, FieldError, StepType, Workflow, WorkflowStep } from '../api/types';
import { unescapePointer } from './problem';

/**
 * The workflow builder edits the server's JSON model (workflow.Workflow);
 * the graph is a view of it. Steps are addressed by their JSON pointer in
 * the model ("/steps/2", "/steps/1/parallel/branches/0/steps/0",
 * "/compensations/0"), the same pointers the server's problems use, so an
 * error lands on the node and the field it names. Every edit returns a new
 * document.
 */

/** The model as edited: the stored workflow without its metadata and deployment. */
export type WorkflowDoc = Omit<Workflow, 'revision' | 'createdAt' | 'updatedAt' | 'createdBy' | 'updatedBy' | 'deployed'>;

export function docOf(w: Workflow): WorkflowDoc {
  const { revision: _r, createdAt: _c, updatedAt: _u, createdBy: _cb, updatedBy: _ub, deployed: _d, ...doc } = w;
  return { ...doc, steps: doc.steps ?? [] };
}

/** canonical is JSON with object keys sorted: two documents that differ only in key order are equal. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

export const STEP_TYPES: { value: StepType; label: string }[] = [
  { value: 'call', label: 'Call integration' },
  { value: 'transform', label: 'Transform' },
  { value: 'wait', label: 'Wait' },
  { value: 'set', label: 'Set value' },
  { value: 'choice', label: 'Condition' },
  { value: 'parallel', label: 'Parallel group' },
  { value: 'fail', label: 'Fail' },
  { value: 'succeed', label: 'Succeed' },
];

export const stepTypeLabel = (t: StepType) => STEP_TYPES.find((s) => s.value === t)?.label ?? t;

/** Steps that never continue to a next step. */
const terminal = (t: StepType) => t === 'fail' || t === 'succeed' || t === 'choice';

/** A located step: where it is, and the list (scope) it belongs to. */
export interface Located {
  pointer: string;
  /** Pointer of the list holding it ("/steps", ".../branches/0/steps", "/compensations"). */
  list: string;
  index: number;
  step: WorkflowStep;
  compensation: boolean;
  /** Inside a parallel branch. */
  inBranch: boolean;
}

/** allSteps lists every step, parallel branches included, in document order. */
export function allSteps(doc: WorkflowDoc): Located[] {
  const out: Located[] = [];
  const walk = (steps: WorkflowStep[] | undefined, list: string, compensation: boolean, inBranch: boolean) => {
    (steps ?? []).forEach((step, index) => {
      const pointer = `${list}/${index}`;
      out.push({ pointer, list, index, step, compensation, inBranch });
      step.parallel?.branches?.forEach((b, bi) => walk(b.steps, `${pointer}/parallel/branches/${bi}/steps`, compensation, true));
    });
  };
  walk(doc.steps, '/steps', false, false);
  walk(doc.compensations, '/compensations', true, false);
  return out;
}

export function find(doc: WorkflowDoc, pointer: string): Located | undefined {
  return allSteps(doc).find((l) => l.pointer === pointer);
}

/** listAt returns the array a list pointer names, inside doc (mutable). */
function listAt(doc: WorkflowDoc, list: string): WorkflowStep[] {
  const tokens = list.slice(1).split('/').map(unescapePointer);
  let cur: unknown = doc;
  for (const t of tokens) {
    const obj = cur as Record<string, unknown>;
    if (obj[t] === undefined && t === tokens[tokens.length - 1]) obj[t] = [];
    cur = obj[t];
  }
  return cur as WorkflowStep[];
}

/** The names a step's next/default/rules may use: the steps of its list. */
export function namesIn(doc: WorkflowDoc, list: string): string[] {
  return allSteps(doc)
    .filter((l) => l.list === list)
    .map((l) => l.step.name);
}

function uniqueName(doc: WorkflowDoc, base: string): string {
  const taken = new Set(allSteps(doc).map((l) => l.step.name));
  for (let i = 1; ; i++) if (!taken.has(`${base}${i}`)) return `${base}${i}`;
}

/** newStep is a step of type with the block its type needs. */
export function newStep(doc: WorkflowDoc, type: StepType, integration = ''): WorkflowStep {
  const name = uniqueName(doc, type === 'choice' ? 'condition' : type);
  switch (type) {
    case 'call':
      return { name, type, call: { integration, method: 'GET', path: '/' } };
    case 'transform':
      return { name, type, transform: { transform: '' } };
    case 'wait':
      return { name, type, wait: { seconds: 1 } };
    case 'set':
      return { name, type, set: { value: {} } };
    case 'fail':
      return { name, type, fail: { error: 'Workflow.Failed' } };
    case 'succeed':
      return { name, type };
    case 'parallel': {
      const first = uniqueName(doc, 'set');
      return { name, type, parallel: { branches: [{ name: 'branch1', steps: [{ name: first, type: 'set', set: { value: {} } }] }] } };
    }
    case 'choice':
      return { name, type, choice: { rules: [{ condition: { variable: '$.input.body.flag', op: 'BooleanEquals', value: true }, next: '' }] } };
  }
}

const clone = <T,>(v: T): T => structuredClone(v);

/**
 * addStep inserts step after the step at `after` (in its list), taking over
 * its next; without `after` it is appended to the top-level steps and the
 * last open end of the flow continues to it. Returns the new document and
 * the new step's pointer.
 */
export function addStep(doc0: WorkflowDoc, step: WorkflowStep, after?: string): { doc: WorkflowDoc; pointer: string } {
  const doc = clone(doc0);
  const at = after ? find(doc, after) : undefined;
  if (at) {
    const list = listAt(doc, at.list);
    const prev = list[at.index]!;
    if (!terminal(prev.type) && !at.compensation) {
      if (prev.next) step.next = prev.next;
      prev.next = step.name;
    } else if (prev.type === 'choice' && prev.choice && !prev.choice.default) {
      prev.choice.default = step.name;
    }
    list.splice(at.index + 1, 0, step);
    return { doc, pointer: `${at.list}/${at.index + 1}` };
  }
  const list = listAt(doc, '/steps');
  for (let i = list.length - 1; i >= 0; i--) {
    const s = list[i]!;
    if (!terminal(s.type) && !s.next) {
      s.next = step.name;
      break;
    }
  }
  list.push(step);
  return { doc, pointer: `/steps/${list.length - 1}` };
}

/** replaceStep puts step at pointer (the side panel's edits). */
export function replaceStep(doc0: WorkflowDoc, pointer: string, step: WorkflowStep): WorkflowDoc {
  const doc = clone(doc0);
  const at = find(doc, pointer);
  if (!at) return doc0;
  const old = at.step.name;
  listAt(doc, at.list)[at.index] = step;
  return old !== step.name && step.name ? renameRefs(doc, at, old, step.name) : doc;
}

/** renameRefs points every reference to old at name, within the step's scope. */
function renameRefs(doc: WorkflowDoc, at: Located, old: string, name: string): WorkflowDoc {
  if (at.compensation) {
    for (const l of allSteps(doc)) if (l.step.compensate === old) l.step.compensate = name;
    return doc;
  }
  retarget(doc, at.list, old, () => name);
  return doc;
}

/** retarget rewrites next/default/rule targets (and startAt) naming old, in list's scope. */
function retarget(doc: WorkflowDoc, list: string, old: string, to: () => string | undefined) {
  for (const l of allSteps(doc)) {
    if (l.list !== list) continue;
    const s = l.step;
    if (s.next === old) setOrDelete(s, 'next', to());
    if (s.choice) {
      if (s.choice.default === old) setOrDelete(s.choice, 'default', to());
      s.choice.rules = s.choice.rules.flatMap((r) => (r.next !== old ? [r] : to() ? [{ ...r, next: to()! }] : []));
    }
  }
  if (list === '/steps' && doc.startAt === old) setOrDelete(doc, 'startAt', to());
  const branch = /^(.*)\/steps$/.exec(list);
  if (branch && list !== '/steps') {
    const b = pointerGet(doc, branch[1]!) as { startAt?: string } | undefined;
    if (b?.startAt === old) setOrDelete(b, 'startAt', to());
  }
}

function setOrDelete<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined) {
  if (v === undefined || v === '') delete o[k];
  else o[k] = v;
}

/** pointerGet reads the value at a JSON pointer, or undefined. */
export function pointerGet(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let cur: unknown = doc;
  for (const t of pointer.slice(1).split('/').map(unescapePointer)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[t];
  }
  return cur;
}

/**
 * removeStep deletes the step at pointer; what went to it goes to its next
 * instead (or ends), and a removed compensation is no longer named.
 */
export function removeStep(doc0: WorkflowDoc, pointer: string): WorkflowDoc {
  const doc = clone(doc0);
  const at = find(doc, pointer);
  if (!at) return doc0;
  listAt(doc, at.list).splice(at.index, 1);
  if (at.compensation) {
    for (const l of allSteps(doc)) if (l.step.compensate === at.step.name) delete l.step.compensate;
  } else {
    retarget(doc, at.list, at.step.name, () => at.step.next);
  }
  if (doc.compensations?.length === 0) delete doc.compensations;
  return doc;
}

/**
 * connect makes the step at source continue to the step named target (a
 * drag between nodes): its next, or for a condition its default (then a
 * new rule). Only steps of the same list connect.
 */
export function connect(doc0: WorkflowDoc, source: string, target: string, handle?: string | null): WorkflowDoc {
  const doc = clone(doc0);
  const from = find(doc, source);
  const to = find(doc, target);
  if (!from || !to || from.list !== to.list || from.compensation || from.pointer === to.pointer) return doc0;
  const s = from.step;
  if (s.type === 'choice' && s.choice) {
    const rule = handle?.startsWith('rule-') ? Number(handle.slice(5)) : NaN;
    const r = s.choice.rules[rule];
    if (r) r.next = to.step.name;
    else if (handle === 'default' || !s.choice.default) s.choice.default = to.step.name;
    else s.choice.rules.push({ condition: { variable: '$.input.body.flag', op: 'BooleanEquals', value: true }, next: to.step.name });
  } else if (s.type !== 'fail' && s.type !== 'succeed') {
    s.next = to.step.name;
  }
  return doc;
}

/** addCompensation creates a compensating call for the step at pointer and names it. */
export function addCompensation(doc0: WorkflowDoc, pointer: string): { doc: WorkflowDoc; pointer: string } {
  const doc = clone(doc0);
  const at = find(doc, pointer);
  if (!at) return { doc: doc0, pointer };
  const base = `undo${at.step.name.charAt(0).toUpperCase()}${at.step.name.slice(1)}`;
  const taken = new Set(allSteps(doc).map((l) => l.step.name));
  const name = taken.has(base) ? uniqueName(doc, base) : base;
  const integration = at.step.call?.integration ?? '';
  doc.compensations = [...(doc.compensations ?? []), { name, type: 'call', call: { integration, method: 'POST', path: '/' } }];
  at.step.compensate = name;
  return { doc, pointer: `/compensations/${doc.compensations.length - 1}` };
}

/** The node a pointer falls on, and the rest of the pointer (the field). */
export interface PointerTarget {
  node: string;
  field: string;
}

/**
 * locate maps a problem's pointer to the deepest step (or parallel branch)
 * containing it: "/steps/1/parallel/branches/0/steps/0/call/integration"
 * is field "/call/integration" of that branch step. Workflow-level
 * pointers ("/slug", "/startAt") have no node.
 */
export function locate(pointer: string): PointerTarget | null {
  const m = /^\/(steps|compensations)\/\d+/.exec(pointer);
  if (!m) return null;
  let node = m[0];
  let rest = pointer.slice(node.length);
  for (;;) {
    const b = /^\/parallel\/branches\/\d+/.exec(rest);
    if (!b) break;
    const s = /^\/steps\/\d+/.exec(rest.slice(b[0].length));
    if (!s) return { node: node + b[0], field: rest.slice(b[0].length) };
    node += b[0] + s[0];
    rest = rest.slice(b[0].length + s[0].length);
  }
  return { node, field: rest };
}

/** problemsByNode groups field errors by the node they fall on; the rest are the workflow's. */
export function problemsByNode(errors: FieldError[]): { byNode: Map<string, FieldError[]>; workflow: FieldError[] } {
  const byNode = new Map<string, FieldError[]>();
  const workflow: FieldError[] = [];
  for (const e of errors) {
    const t = locate(e.pointer);
    if (!t) {
      workflow.push(e);
      continue;
    }
    byNode.set(t.node, [...(byNode.get(t.node) ?? []), { pointer: t.field, detail: e.detail }]);
  }
  return { byNode, workflow };
}

export type RunState = 'ran' | 'failed' | 'compensated' | 'undo' | 'undoFailed' | 'running';

/**
 * runStates reads an execution's history into what happened to each step
 * (by name): ran, failed (a StateFailed, or a Catch that recorded the
 * failure on exit), compensated (its Portico.Undo.<step> ran), and for
 * the compensating steps, undo or undoFailed.
 */
export function runStates(history: ExecutionEvent[], doc?: WorkflowDoc): Map<string, RunState> {
  const out = new Map<string, RunState>();
  const entered = new Map<string, ExecutionEvent>();
  const compensationOf = new Map<string, string>();
  if (doc) for (const l of allSteps(doc)) if (l.step.compensate) compensationOf.set(l.step.name, l.step.compensate);
  const hasFailure = (v: unknown) => !!v && typeof v === 'object' && 'failure' in v;
  for (const ev of history) {
    const s = ev.state;
    if (!s) continue;
    if (s.startsWith('Portico.')) {
      const undo = /^Portico\.Undo\.(.+)$/.exec(s);
      const undoFailed = /^Portico\.UndoFailed\.(.+)$/.exec(s);
      if (undo && ev.type === 'StateExited') {
        out.set(undo[1]!, 'compensated');
        const c = compensationOf.get(undo[1]!);
        if (c) out.set(c, 'undo');
      }
      if (undoFailed && ev.type === 'StateEntered') {
        const c = compensationOf.get(undoFailed[1]!);
        if (c) out.set(c, 'undoFailed');
      }
      continue;
    }
    // The latest event of a state wins: a redrive (or a polling loop) enters it again.
    if (ev.type === 'StateEntered') {
      entered.set(s, ev);
      out.set(s, 'running');
    } else if (ev.type === 'StateFailed') {
      out.set(s, 'failed');
    } else if (ev.type === 'StateExited') {
      const caught = hasFailure(ev.output) && !hasFailure(entered.get(s)?.input);
      out.set(s, caught ? 'failed' : 'ran');
    }
  }
  return out;
}
