import { ActionIcon, Button, Divider, Group, NumberInput, Select, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import type { Condition, FieldError, Integration, RetryPolicy, Transform, WorkflowStep } from '../api/types';
import { FieldErrors } from '../lib/problem';
import { namesIn, stepTypeLabel, type Located, type WorkflowDoc } from '../lib/workflowModel';
import { ErrorAlert } from './common';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const OPERATORS = [
  'StringEquals',
  'StringMatches',
  'NumericEquals',
  'NumericLessThan',
  'NumericGreaterThan',
  'BooleanEquals',
  'IsPresent',
  'IsNull',
  'StringEqualsPath',
  'NumericEqualsPath',
];

const num = (v: string | number): number | undefined => (v === '' || v === undefined ? undefined : Number(v));

/** JsonField edits a JSON value as text; the value changes only when the text parses. */
function JsonField({ label, value, onChange, error, readOnly, description }: { label: string; value: unknown; onChange: (v: unknown) => void; error?: string; readOnly: boolean; description?: string }) {
  const [text, setText] = useState(() => JSON.stringify(value ?? null, null, 1));
  const [bad, setBad] = useState<string>();
  useEffect(() => {
    // Follow edits made elsewhere (the JSON view), not our own keystrokes.
    try {
      if (JSON.stringify(JSON.parse(text)) === JSON.stringify(value ?? null)) return;
    } catch {
      /* the text is mid-edit */
    }
    setText(JSON.stringify(value ?? null, null, 1));
    setBad(undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [JSON.stringify(value)]);
  return (
    <Textarea
      label={label}
      description={description}
      value={text}
      readOnly={readOnly}
      autosize
      minRows={2}
      maxRows={8}
      classNames={{ input: 'mono' }}
      error={bad ?? error}
      onChange={(e) => {
        const t = e.currentTarget.value;
        setText(t);
        try {
          onChange(JSON.parse(t));
          setBad(undefined);
        } catch (err) {
          setBad(`Not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
        }
      }}
    />
  );
}

/**
 * NameField renames a step when the name is complete (on blur or Enter), so
 * the steps that name it follow the new name; a name being typed (or
 * cleared on the way) does not break their links.
 */
function NameField({ name, onRename, error, readOnly }: { name: string; onRename: (n: string) => void; error?: string; readOnly: boolean }) {
  const [text, setText] = useState(name);
  useEffect(() => setText(name), [name]);
  const commit = () => {
    const n = text.trim();
    if (n && n !== name) onRename(n);
    else setText(name);
  };
  return (
    <TextInput
      label="Step name"
      description={readOnly ? undefined : 'Renamed on Enter or when you leave the field; links follow.'}
      value={text}
      onChange={(e) => setText(e.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(e) => e.key === 'Enter' && commit()}
      error={error}
      readOnly={readOnly}
      required
      classNames={{ input: 'mono' }}
    />
  );
}

export interface StepPanelProps {
  doc: WorkflowDoc;
  at: Located;
  /** Problems of this step, with pointers relative to it ("/call/integration"). */
  problems: FieldError[];
  integrations: Integration[];
  transforms: Transform[];
  editable: boolean;
  onChange: (step: WorkflowStep) => void;
  onRemove: () => void;
  onAddCompensation: () => void;
  onSelect: (pointer: string) => void;
}

/** StepPanel is the form of the selected step: its block, next, retry/timeout and compensation. */
export function StepPanel({ doc, at, problems, integrations, transforms, editable, onChange, onRemove, onAddCompensation, onSelect }: StepPanelProps) {
  const s = at.step;
  const fe = new FieldErrors(problems);
  const ro = !editable;
  const set = (patch: Partial<WorkflowStep>) => onChange({ ...s, ...patch });
  const others = namesIn(doc, at.list).filter((n) => n !== s.name);
  const nextOptions = [{ value: '', label: at.inBranch ? '(end of branch)' : '(end of workflow)' }, ...others.map((n) => ({ value: n, label: n }))];
  const compIndex = (doc.compensations ?? []).findIndex((c) => c.name === s.compensate);
  const undoes = at.compensation ? allUndoing(doc, s.name) : [];

  return (
    <Stack gap="sm" aria-label={`Step ${s.name}`} role="group">
      <Group justify="space-between" wrap="nowrap">
        <Title order={3} size="h5">
          {at.compensation ? 'Compensating step' : stepTypeLabel(s.type)}
        </Title>
        {editable && (
          <Button size="xs" variant="subtle" color="red" leftSection={<IconTrash size={14} />} onClick={onRemove}>
            Remove step
          </Button>
        )}
      </Group>
      {at.compensation && (
        <Text size="xs" c="dimmed">
          Runs when a later step fails{undoes.length ? `, to undo ${undoes.join(', ')}` : ' (no step names it yet)'}.
        </Text>
      )}
      <NameField name={s.name} onRename={(name) => set({ name })} error={fe.at('/name')} readOnly={ro} />

      {s.type === 'call' && (
        <>
          <Select
            label="Integration"
            placeholder="Pick an integration"
            data={withCurrent(integrations.map((i) => ({ value: i.slug, label: `${i.name} (${i.slug})` })), s.call?.integration)}
            value={s.call?.integration || null}
            onChange={(v) => set({ call: { ...s.call, integration: v ?? '' } })}
            error={fe.under('/call/integration') ?? fe.at('/call')}
            readOnly={ro}
            searchable
            required
          />
          <Group grow align="flex-start">
            <Select label="Method" data={METHODS} value={s.call?.method ?? 'POST'} onChange={(v) => set({ call: { integration: s.call?.integration ?? '', ...s.call, method: v ?? undefined } })} error={fe.at('/call/method')} readOnly={ro} allowDeselect={false} />
            <TextInput label="Path" value={s.call?.path ?? ''} onChange={(e) => set({ call: { integration: s.call?.integration ?? '', ...s.call, path: e.currentTarget.value || undefined } })} error={fe.at('/call/path')} readOnly={ro} classNames={{ input: 'mono' }} />
          </Group>
          <TextInput
            label="Request body"
            description="JSONPath of the state sent as the body (default $.input.body)."
            placeholder="$.input.body"
            value={s.call?.body ?? ''}
            onChange={(e) => set({ call: { integration: s.call?.integration ?? '', ...s.call, body: e.currentTarget.value || undefined } })}
            error={fe.at('/call/body')}
            readOnly={ro}
            classNames={{ input: 'mono' }}
          />
        </>
      )}

      {s.type === 'transform' && (
        <>
          <Select
            label="Transform"
            placeholder="Pick a transform"
            data={withCurrent(transforms.map((t) => ({ value: t.slug, label: `${t.name} (${t.slug})` })), s.transform?.transform)}
            value={s.transform?.transform || null}
            onChange={(v) => set({ transform: { ...s.transform, transform: v ?? '' } })}
            error={fe.under('/transform/transform') ?? fe.at('/transform')}
            readOnly={ro}
            searchable
            required
          />
          <TextInput label="Input" description="JSONPath of the state the transform reads (default $)." placeholder="$" value={s.transform?.input ?? ''} onChange={(e) => set({ transform: { transform: s.transform?.transform ?? '', input: e.currentTarget.value || undefined } })} error={fe.at('/transform/input')} readOnly={ro} classNames={{ input: 'mono' }} />
        </>
      )}

      {s.type === 'wait' && (
        <Group grow align="flex-start">
          <NumberInput label="Seconds" min={0} value={s.wait?.seconds ?? ''} onChange={(v) => set({ wait: { ...s.wait, seconds: num(v) } })} error={fe.at('/wait/seconds') ?? fe.at('/wait')} readOnly={ro} />
          <TextInput label="Seconds path" placeholder="$.input.body.delay" value={s.wait?.secondsPath ?? ''} onChange={(e) => set({ wait: { ...s.wait, secondsPath: e.currentTarget.value || undefined } })} error={fe.at('/wait/secondsPath')} readOnly={ro} classNames={{ input: 'mono' }} />
        </Group>
      )}

      {s.type === 'set' && <JsonField label="Value" description="Recorded as the step's result." value={s.set?.value} onChange={(v) => set({ set: { value: v } })} error={fe.under('/set')} readOnly={ro} />}

      {s.type === 'fail' && (
        <Group grow align="flex-start">
          <TextInput label="Error name" value={s.fail?.error ?? ''} onChange={(e) => set({ fail: { ...s.fail, error: e.currentTarget.value } })} error={fe.at('/fail/error') ?? fe.at('/fail')} readOnly={ro} required />
          <TextInput label="Cause" value={s.fail?.cause ?? ''} onChange={(e) => set({ fail: { error: s.fail?.error ?? '', cause: e.currentTarget.value || undefined } })} error={fe.at('/fail/cause')} readOnly={ro} />
        </Group>
      )}

      {s.type === 'parallel' && <Branches s={s} fe={fe} ro={ro} set={set} />}
      {s.type === 'choice' && <Rules s={s} fe={fe} ro={ro} set={set} names={others} />}

      {s.type !== 'choice' && s.type !== 'fail' && s.type !== 'succeed' && !at.compensation && (
        <Select label="Next step" data={nextOptions} value={s.next ?? ''} onChange={(v) => set({ next: v || undefined })} error={fe.at('/next')} readOnly={ro} allowDeselect={false} />
      )}

      {(s.type === 'call' || s.type === 'transform' || s.type === 'parallel') && (
        <>
          <Divider label="Retry and timeout" labelPosition="left" />
          {s.type !== 'parallel' && (
            <NumberInput label="Timeout (seconds)" description="Bounds one attempt." min={0} value={s.timeoutSeconds ?? ''} onChange={(v) => set({ timeoutSeconds: num(v) })} error={fe.at('/timeoutSeconds')} readOnly={ro} />
          )}
          <RetryPolicies retry={s.retry ?? []} onChange={(retry) => set({ retry: retry.length ? retry : undefined })} fe={fe} ro={ro} />
        </>
      )}

      {!at.compensation && !at.inBranch && s.type !== 'choice' && s.type !== 'fail' && s.type !== 'succeed' && s.type !== 'wait' && s.type !== 'set' && (
        <>
          <Divider label="Compensation" labelPosition="left" />
          <Select
            label="Compensating step"
            description="Undoes this step when a later step fails."
            data={[{ value: '', label: '(none)' }, ...(doc.compensations ?? []).map((c) => ({ value: c.name, label: c.name }))]}
            value={s.compensate ?? ''}
            onChange={(v) => set({ compensate: v || undefined })}
            error={fe.at('/compensate')}
            readOnly={ro}
            allowDeselect={false}
          />
          <Group gap="xs">
            {editable && !s.compensate && (
              <Button size="xs" variant="light" color="orange" leftSection={<IconPlus size={14} />} onClick={onAddCompensation}>
                Add compensating step
              </Button>
            )}
            {compIndex >= 0 && (
              <Button size="xs" variant="subtle" onClick={() => onSelect(`/compensations/${compIndex}`)}>
                Edit {s.compensate}
              </Button>
            )}
          </Group>
        </>
      )}
      <ErrorAlert fieldErrors={fe.unclaimed(['/name', '/call', '/transform', '/wait', '/set', '/fail', '/next', '/timeoutSeconds', '/retry', '/compensate', '/parallel', '/choice'])} title="Other problems of this step" />
    </Stack>
  );
}

function allUndoing(doc: WorkflowDoc, name: string): string[] {
  return (doc.steps ?? []).filter((s) => s.compensate === name).map((s) => s.name);
}

/** withCurrent keeps a value the list does not know (a deleted integration) selectable, so it shows. */
function withCurrent(data: { value: string; label: string }[], current: string | undefined) {
  return current && !data.some((d) => d.value === current) ? [...data, { value: current, label: `${current} (unknown)` }] : data;
}

type Setter = (patch: Partial<WorkflowStep>) => void;

function Branches({ s, fe, ro, set }: { s: WorkflowStep; fe: FieldErrors; ro: boolean; set: Setter }) {
  const branches = s.parallel?.branches ?? [];
  const put = (bs: typeof branches) => set({ parallel: { branches: bs } });
  return (
    <Stack gap={6}>
      <Text size="sm" fw={500}>
        Branches
      </Text>
      <Text size="xs" c="dimmed">
        Every branch runs on the same state; the step's result has each branch's results under its name. Select a branch's step in the graph to edit it.
      </Text>
      {branches.map((b, i) => (
        <Group key={i} gap="xs" wrap="nowrap" align="flex-start">
          <TextInput
            aria-label={`Branch ${i + 1} name`}
            value={b.name}
            onChange={(e) => put(branches.map((x, j) => (j === i ? { ...x, name: e.currentTarget.value } : x)))}
            error={fe.at(`/parallel/branches/${i}/name`) ?? fe.at(`/parallel/branches/${i}/steps`)}
            readOnly={ro}
            style={{ flex: 1 }}
          />
          {!ro && branches.length > 1 && (
            <ActionIcon variant="subtle" color="red" aria-label={`Remove branch ${b.name}`} onClick={() => put(branches.filter((_, j) => j !== i))}>
              <IconTrash size={16} />
            </ActionIcon>
          )}
        </Group>
      ))}
      {!ro && (
        <Button
          size="xs"
          variant="light"
          leftSection={<IconPlus size={14} />}
          onClick={() => {
            const n = branches.length + 1;
            put([...branches, { name: `branch${n}`, steps: [{ name: `${s.name}Branch${n}`, type: 'set', set: { value: {} } }] }]);
          }}
        >
          Add branch
        </Button>
      )}
      {fe.at('/parallel') && (
        <Text size="xs" c="red.8">
          {fe.at('/parallel')}
        </Text>
      )}
    </Stack>
  );
}

function Rules({ s, fe, ro, set, names }: { s: WorkflowStep; fe: FieldErrors; ro: boolean; set: Setter; names: string[] }) {
  const rules = s.choice?.rules ?? [];
  const put = (rs: typeof rules, def = s.choice?.default) => set({ choice: { rules: rs, ...(def ? { default: def } : {}) } });
  const targets = names.map((n) => ({ value: n, label: n }));
  return (
    <Stack gap={6}>
      <Text size="sm" fw={500}>
        Rules, in order
      </Text>
      {rules.map((r, i) => (
        <Stack key={i} gap={4} p="xs" style={{ border: '1px solid var(--mantine-color-gray-3)', borderRadius: 6 }}>
          <Group justify="space-between">
            <Text size="xs" fw={600}>
              Rule {i + 1}
            </Text>
            {!ro && (
              <ActionIcon size="sm" variant="subtle" color="red" aria-label={`Remove rule ${i + 1}`} onClick={() => put(rules.filter((_, j) => j !== i))}>
                <IconTrash size={14} />
              </ActionIcon>
            )}
          </Group>
          <ConditionFields c={r.condition} onChange={(c) => put(rules.map((x, j) => (j === i ? { ...x, condition: c } : x)))} fe={fe} base={`/choice/rules/${i}/condition`} ro={ro} n={i + 1} />
          <Select
            label={`Rule ${i + 1}: then go to`}
            data={targets}
            value={r.next || null}
            onChange={(v) => put(rules.map((x, j) => (j === i ? { ...x, next: v ?? '' } : x)))}
            error={fe.at(`/choice/rules/${i}/next`)}
            readOnly={ro}
          />
        </Stack>
      ))}
      {!ro && (
        <Button size="xs" variant="light" leftSection={<IconPlus size={14} />} onClick={() => put([...rules, { condition: { variable: '$.input.body.flag', op: 'BooleanEquals', value: true }, next: '' }])}>
          Add rule
        </Button>
      )}
      <Select
        label="Otherwise go to"
        description="When no rule holds; with none, the workflow fails (States.NoChoiceMatched)."
        data={[{ value: '', label: '(none: fail)' }, ...targets]}
        value={s.choice?.default ?? ''}
        onChange={(v) => put(rules, v || undefined)}
        error={fe.at('/choice/default')}
        readOnly={ro}
        allowDeselect={false}
      />
      {fe.at('/choice') && (
        <Text size="xs" c="red.8">
          {fe.at('/choice')}
        </Text>
      )}
    </Stack>
  );
}

/** ConditionFields edits a comparison with fields, and and/or/not as JSON. */
function ConditionFields({ c, onChange, fe, base, ro, n }: { c: Condition; onChange: (c: Condition) => void; fe: FieldErrors; base: string; ro: boolean; n: number }) {
  if (c.and || c.or || c.not) return <JsonField label={`Rule ${n} condition`} value={c} onChange={(v) => onChange(v as Condition)} error={fe.under(base)} readOnly={ro} />;
  return (
    <>
      <TextInput label={`Rule ${n}: variable`} placeholder="$.input.body.express" value={c.variable ?? ''} onChange={(e) => onChange({ ...c, variable: e.currentTarget.value })} error={fe.at(`${base}/variable`) ?? fe.at(base)} readOnly={ro} classNames={{ input: 'mono' }} />
      <Group grow align="flex-start">
        <Select label={`Rule ${n}: operator`} data={c.op && !OPERATORS.includes(c.op) ? [...OPERATORS, c.op] : OPERATORS} value={c.op ?? null} onChange={(v) => onChange({ ...c, op: v ?? undefined })} error={fe.at(`${base}/op`)} readOnly={ro} searchable />
        <JsonField label={`Rule ${n}: value`} value={c.value} onChange={(v) => onChange({ ...c, value: v })} error={fe.at(`${base}/value`)} readOnly={ro} />
      </Group>
    </>
  );
}

function RetryPolicies({ retry, onChange, fe, ro }: { retry: RetryPolicy[]; onChange: (r: RetryPolicy[]) => void; fe: FieldErrors; ro: boolean }) {
  const put = (i: number, patch: Partial<RetryPolicy>) => onChange(retry.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <Stack gap={6}>
      {retry.map((r, i) => (
        <Stack key={i} gap={4} p="xs" style={{ border: '1px solid var(--mantine-color-gray-3)', borderRadius: 6 }}>
          <Group justify="space-between">
            <Text size="xs" fw={600}>
              Retry policy {i + 1}
            </Text>
            {!ro && (
              <ActionIcon size="sm" variant="subtle" color="red" aria-label={`Remove retry policy ${i + 1}`} onClick={() => onChange(retry.filter((_, j) => j !== i))}>
                <IconTrash size={14} />
              </ActionIcon>
            )}
          </Group>
          <TextInput
            label="Errors"
            description="Comma-separated error names; empty: every error (States.ALL)."
            value={(r.errors ?? []).join(', ')}
            onChange={(e) => {
              const errors = e.currentTarget.value.split(',').map((x) => x.trim()).filter(Boolean);
              put(i, { errors: errors.length ? errors : undefined });
            }}
            error={fe.under(`/retry/${i}/errors`)}
            readOnly={ro}
          />
          <Group grow align="flex-start">
            <NumberInput label="Max attempts" min={0} value={r.maxAttempts ?? ''} onChange={(v) => put(i, { maxAttempts: num(v) })} error={fe.at(`/retry/${i}/maxAttempts`)} readOnly={ro} />
            <NumberInput label="Interval (s)" min={0} value={r.intervalSeconds ?? ''} onChange={(v) => put(i, { intervalSeconds: num(v) })} error={fe.at(`/retry/${i}/intervalSeconds`)} readOnly={ro} />
          </Group>
          <Group grow align="flex-start">
            <NumberInput label="Backoff rate" min={1} step={0.5} decimalScale={2} value={r.backoffRate ?? ''} onChange={(v) => put(i, { backoffRate: num(v) })} error={fe.at(`/retry/${i}/backoffRate`)} readOnly={ro} />
            <NumberInput label="Max delay (s)" min={0} value={r.maxDelaySeconds ?? ''} onChange={(v) => put(i, { maxDelaySeconds: num(v) })} error={fe.at(`/retry/${i}/maxDelaySeconds`)} readOnly={ro} />
          </Group>
          <Select label="Jitter" data={['NONE', 'FULL']} value={r.jitter ?? 'NONE'} onChange={(v) => put(i, { jitter: (v as RetryPolicy['jitter']) ?? undefined })} error={fe.at(`/retry/${i}/jitter`)} readOnly={ro} allowDeselect={false} />
        </Stack>
      ))}
      {!ro && (
        <Button size="xs" variant="light" leftSection={<IconPlus size={14} />} onClick={() => onChange([...retry, { maxAttempts: 3, intervalSeconds: 1, backoffRate: 2 }])}>
          Add retry policy
        </Button>
      )}
      {fe.at('/retry') && (
        <Text size="xs" c="red.8">
          {fe.at('/retry')}
        </Text>
      )}
    </Stack>
  );
}
