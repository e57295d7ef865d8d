import { Badge, Group, Text } from '@mantine/core';
import {
  IconArrowsSplit2,
  IconClockPause,
  IconCircleCheck,
  IconCircleX,
  IconEqual,
  IconPlugConnected,
  IconStack2,
  IconTransform,
  type Icon,
} from '@tabler/icons-react';
import {
  Background,
  Controls,
  Handle,
  Position,
  ReactFlow,
  ReactFlowProvider,
  applyNodeChanges,
  useReactFlow,
  type Connection,
  type NodeChange,
  type NodeProps,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useMemo, useState } from 'react';
import type { FieldError, StepType } from '../api/types';
import { stepTypeLabel, type RunState, type WorkflowDoc } from '../lib/workflowModel';
import { layout, type BranchNodeData, type FlowNode, type StepNodeData, type TerminalNodeData } from '../lib/workflowLayout';

const icons: Record<StepType, Icon> = {
  call: IconPlugConnected,
  transform: IconTransform,
  wait: IconClockPause,
  set: IconEqual,
  fail: IconCircleX,
  succeed: IconCircleCheck,
  parallel: IconStack2,
  choice: IconArrowsSplit2,
};

export const runLabels: Record<RunState, { label: string; color: string }> = {
  ran: { label: 'ran', color: 'green' },
  running: { label: 'running', color: 'blue' },
  failed: { label: 'failed', color: 'red' },
  compensated: { label: 'compensated', color: 'orange' },
  undo: { label: 'undo ran', color: 'violet' },
  undoFailed: { label: 'undo failed', color: 'red' },
};

/** What a step node shows besides its step, set by the graph. */
interface Decorations {
  problems?: FieldError[];
  run?: RunState;
  editable: boolean;
}

function detailOf(d: StepNodeData): string {
  const s = d.step;
  switch (s.type) {
    case 'call':
      return s.call?.integration ? `${s.call.method ?? 'POST'} ${s.call.integration} ${s.call.path ?? '/'}` : 'no integration';
    case 'transform':
      return s.transform?.transform || 'no transform';
    case 'wait':
      return s.wait?.secondsPath ? `${s.wait.secondsPath} s` : `${s.wait?.seconds ?? 0} s`;
    case 'fail':
      return s.fail?.error ?? '';
    case 'choice':
      return `${s.choice?.rules?.length ?? 0} rule${s.choice?.rules?.length === 1 ? '' : 's'}${s.choice?.default ? ' + otherwise' : ''}`;
    case 'parallel':
      return `${s.parallel?.branches?.length ?? 0} branches`;
    default:
      return '';
  }
}

function StepNode({ data, selected }: NodeProps<FlowNode & { type: 'step' }>) {
  const d = data as StepNodeData & Decorations;
  const s = d.step;
  const TypeIcon = icons[s.type] ?? IconEqual;
  const invalid = (d.problems?.length ?? 0) > 0;
  const run = d.run ? runLabels[d.run] : undefined;
  const border = invalid ? 'var(--mantine-color-red-7)' : run ? `var(--mantine-color-${run.color}-7)` : selected ? 'var(--mantine-color-blue-7)' : d.compensation ? 'var(--mantine-color-orange-5)' : 'var(--mantine-color-gray-5)';
  const parallel = s.type === 'parallel';
  const rules = s.type === 'choice' ? (s.choice?.rules ?? []) : [];
  const connectable = d.editable;
  // The type shows as the icon (and in the node's label); the line says what it does.
  const summary = [d.compensation ? `undo${d.undoes ? ` of ${d.undoes}` : ''}` : '', detailOf(d) || stepTypeLabel(s.type), s.retry?.length ? 'retry' : '', s.timeoutSeconds ? `${s.timeoutSeconds} s timeout` : '']
    .filter(Boolean)
    .join(' · ');
  return (
    <div
      className="wf-node"
      data-testid={`wf-node-${s.name}`}
      data-invalid={invalid ? 'true' : undefined}
      data-run={d.run}
      data-selected={selected ? 'true' : undefined}
      style={{
        width: '100%',
        height: '100%',
        border: `${invalid || selected || run ? 2 : 1}px ${d.compensation ? 'dashed' : 'solid'} ${border}`,
        borderRadius: 8,
        background: parallel ? 'var(--mantine-color-gray-0)' : run ? `var(--mantine-color-${run.color}-0)` : 'white',
        boxShadow: selected ? '0 0 0 3px var(--mantine-color-blue-2)' : undefined,
        padding: '6px 10px',
      }}
    >
      <Handle type="target" position={Position.Top} isConnectable={connectable} />
      {d.compensation && <Handle id="undo-in" type="target" position={Position.Left} isConnectable={false} />}
      <Group gap={6} wrap="nowrap" justify="space-between">
        <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
          <TypeIcon size={16} stroke={1.7} aria-hidden />
          <Text size="sm" fw={600} truncate>
            {s.name || '(unnamed)'}
          </Text>
        </Group>
        <Group gap={4} wrap="nowrap">
          {invalid && (
            <Badge size="xs" color="red" variant="filled" radius="sm">
              {d.problems!.length} problem{d.problems!.length === 1 ? '' : 's'}
            </Badge>
          )}
          {run && (
            <Badge size="xs" color={run.color} variant="light" radius="sm">
              {run.label}
            </Badge>
          )}
        </Group>
      </Group>
      <Text size="xs" c="dimmed" truncate title={summary}>
        {summary}
      </Text>
      {s.type === 'choice' ? (
        <>
          {rules.map((_, i) => (
            <Handle key={i} id={`rule-${i}`} type="source" position={Position.Bottom} isConnectable={connectable} style={{ left: `${((i + 1) * 100) / (rules.length + 2)}%` }} />
          ))}
          <Handle id="default" type="source" position={Position.Bottom} isConnectable={connectable} style={{ left: `${((rules.length + 1) * 100) / (rules.length + 2)}%` }} />
        </>
      ) : (
        s.type !== 'fail' && s.type !== 'succeed' && <Handle id="next" type="source" position={Position.Bottom} isConnectable={connectable && !d.compensation} />
      )}
      {s.compensate && !d.compensation && <Handle id="undo" type="source" position={Position.Right} isConnectable={false} />}
    </div>
  );
}

function BranchNode({ data }: NodeProps<FlowNode & { type: 'branch' }>) {
  const d = data as BranchNodeData & Decorations;
  const invalid = (d.problems?.length ?? 0) > 0;
  return (
    <div
      data-testid={`wf-branch-${d.label}`}
      data-invalid={invalid ? 'true' : undefined}
      style={{ width: '100%', height: '100%', border: `1px ${invalid ? 'solid var(--mantine-color-red-7)' : 'dashed var(--mantine-color-gray-5)'}`, borderRadius: 6, background: 'rgba(255,255,255,0.6)' }}
    >
      <Text size="xs" fw={600} c="dimmed" px={8} pt={4}>
        branch {d.label}
      </Text>
    </div>
  );
}

function TerminalNode({ data }: NodeProps<FlowNode & { type: 'terminal' }>) {
  const d = data as TerminalNodeData;
  return (
    <div style={{ width: '100%', height: '100%', borderRadius: 16, background: 'var(--mantine-color-dark-6)', color: 'white', display: 'grid', placeItems: 'center', fontSize: 12, fontWeight: 600 }}>
      {d.label === 'Start' ? null : <Handle type="target" position={Position.Top} isConnectable={false} />}
      {d.label}
      {d.label === 'Start' ? <Handle type="source" position={Position.Bottom} isConnectable={false} /> : null}
    </div>
  );
}

const nodeTypes = { step: StepNode, branch: BranchNode, terminal: TerminalNode };

export interface WorkflowGraphProps {
  doc: WorkflowDoc;
  /** Pointer of the selected step, or null. */
  selected?: string | null;
  onSelect?: (pointer: string | null) => void;
  /** Problems by node pointer (lib/workflowModel problemsByNode). */
  problems?: Map<string, FieldError[]>;
  /** What an execution did to each step, by step name. */
  run?: Map<string, RunState>;
  editable?: boolean;
  onConnect?: (source: string, target: string, handle: string | null) => void;
  height?: number;
  label: string;
}

function Graph({ doc, selected = null, onSelect, problems, run, editable = false, onConnect, height = 560, label }: WorkflowGraphProps) {
  const base = useMemo(() => layout(doc), [doc]);
  const decorated = useMemo<FlowNode[]>(
    () =>
      base.nodes.map((n) => {
        if (n.type === 'terminal') return n;
        const pointer = (n.data as { pointer: string }).pointer;
        const ps = problems?.get(pointer);
        if (n.type === 'branch') return { ...n, data: { ...n.data, problems: ps, editable } };
        const d = n.data as StepNodeData;
        const r = run?.get(d.step.name);
        const aria = [`${stepTypeLabel(d.step.type)} step ${d.step.name}`, d.compensation ? 'compensation' : '', ps?.length ? `${ps.length} problem${ps.length === 1 ? '' : 's'}` : '', r ? runLabels[r].label : '']
          .filter(Boolean)
          .join(', ');
        return { ...n, selected: n.id === selected, ariaLabel: aria, data: { ...d, problems: ps, run: r, editable } };
      }),
    [base, problems, run, selected, editable],
  );
  // Controlled by the model; the flow's own changes (measured sizes) are kept locally.
  const [nodes, setNodes] = useState<FlowNode[]>(decorated);
  useEffect(() => setNodes(decorated), [decorated]);
  const { fitView } = useReactFlow();
  useEffect(() => {
    const t = setTimeout(() => void fitView({ padding: 0.15, duration: 0, maxZoom: 1 }), 30);
    return () => clearTimeout(t);
  }, [base.nodes.length, fitView]);

  const onNodesChange = (changes: NodeChange<FlowNode>[]) => {
    setNodes((ns) => applyNodeChanges(changes, ns));
    for (const c of changes) if (c.type === 'select' && c.selected && onSelect) onSelect(c.id);
  };
  return (
    <div style={{ height, border: '1px solid var(--mantine-color-gray-3)', borderRadius: 8, background: 'white' }} role="region" aria-label={label}>
      <ReactFlow<FlowNode>
        nodes={nodes}
        edges={base.edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onPaneClick={() => onSelect?.(null)}
        onConnect={(c: Connection) => c.source && c.target && onConnect?.(c.source, c.target, c.sourceHandle ?? null)}
        nodesDraggable={false}
        nodesConnectable={editable}
        elementsSelectable={!!onSelect}
        edgesFocusable={false}
        deleteKeyCode={null}
        fitView
        fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
        minZoom={0.2}
        maxZoom={1.5}
        ariaLabelConfig={{ 'node.a11yDescription.default': 'Press enter or space to select the step; its form opens beside the graph.' }}
      >
        <Background gap={20} size={1} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

/** WorkflowGraph draws a workflow model (steps, branches, conditions, compensations) with React Flow. */
export function WorkflowGraph(props: WorkflowGraphProps) {
  return (
    <ReactFlowProvider>
      <Graph {...props} />
    </ReactFlowProvider>
  );
}
