import { Alert, Anchor, Button, Code, Grid, Group, List, Loader, Menu, NumberInput, SegmentedControl, Select, Stack, Tabs, Text, TextInput, Textarea } from '@mantine/core';
import { IconAlertTriangle, IconChevronDown, IconPlus } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { ApiError, api, seg } from '../api/client';
import { keys, useIntegrations, useTransforms, useWorkflow, useWorkflowDefinition } from '../api/hooks';
import type { FieldError, Workflow, WorkflowKind } from '../api/types';
import { Can, useSession } from '../auth/session';
import { Card, Confirm, ErrorAlert, PageHeader, PageLoading, fmtTime } from '../components/common';
import { JsonEditor } from '../components/JsonEditor';
import { StepPanel } from '../components/StepPanel';
import { WorkflowGraph } from '../components/WorkflowGraph';
import { FieldErrors, pointerLabel } from '../lib/problem';
import { useWorkflowCheck } from '../lib/useWorkflowCheck';
import { STEP_TYPES, addCompensation, canonical, addStep, allSteps, connect, docOf, find, locate, newStep, problemsByNode, removeStep, replaceStep, type WorkflowDoc } from '../lib/workflowModel';
import { WorkflowRuns } from './WorkflowRuns';
import { WorkflowStatus } from './Workflows';

const pretty = (v: unknown) => JSON.stringify(v, null, 2);

const EMPTY: WorkflowDoc = { slug: '', name: '', kind: 'express', steps: [] };

export function WorkflowBuilder() {
  const { workflow: slug = 'new' } = useParams();
  const isNew = slug === 'new';
  const q = useWorkflow(slug, !isNew);
  if (!isNew && q.isPending)
    return <PageLoading />;
  if (!isNew && q.error) return <ErrorAlert error={q.error} />;
  return <Builder key={slug} initial={isNew ? undefined : q.data} />;
}

/** Builder edits one workflow: the model is the JSON; the graph, the forms and the JSON view all edit it. */
export function Builder({ initial }: { initial?: Workflow }) {
  const qc = useQueryClient();
  const nav = useNavigate();
  const { can } = useSession();
  const editable = can('editWorkflow');
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') ?? 'builder';
  const [saved, setSaved] = useState<Workflow | undefined>(initial);
  const [doc, setDocState] = useState<WorkflowDoc>(() => (initial ? docOf(initial) : EMPTY));
  const [text, setText] = useState(() => pretty(initial ? docOf(initial) : EMPTY));
  const [textError, setTextError] = useState<string>();
  const [selected, setSelected] = useState<string | null>(null);
  const integrations = useIntegrations();
  const transforms = useTransforms();

  const setDoc = (d: WorkflowDoc) => {
    setDocState(d);
    setText(pretty(d));
    setTextError(undefined);
  };
  const onText = (t: string) => {
    setText(t);
    try {
      const v = JSON.parse(t) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('the workflow is a JSON object');
      setDocState(v as WorkflowDoc);
      setTextError(undefined);
    } catch (e) {
      setTextError(e instanceof Error ? e.message : String(e));
    }
  };

  const current = useRef(doc);
  current.current = doc;
  const check = useWorkflowCheck(doc, editable && !textError);
  const save = useMutation({
    mutationFn: (d: WorkflowDoc) => (saved ? api.put<Workflow>(`/workflows/${seg(saved.slug)}`, { ...d, revision: saved.revision }) : api.post<Workflow>('/workflows', d)),
    onSuccess: (w, sent) => {
      setSaved(w);
      // The server's form of the document, unless it was edited meanwhile.
      if (canonical(current.current) === canonical(sent)) setDoc(docOf(w));
      qc.setQueryData(keys.workflow(w.slug), w);
      void qc.invalidateQueries({ queryKey: keys.workflows, exact: true });
      void qc.invalidateQueries({ queryKey: keys.definition(w.slug, false) });
      if (!saved) nav(`/workflows/${seg(w.slug)}`, { replace: true });
    },
  });
  const saveErrors = save.error instanceof ApiError ? save.error.fieldErrors : [];
  // The live check when the server has one; a refused save otherwise (same pointers).
  const problems: FieldError[] = check.checked ? check.errors : saveErrors;
  const { byNode, workflow: workflowProblems } = useMemo(() => problemsByNode(problems), [problems]);
  const dirty = canonical(doc) !== canonical(saved ? docOf(saved) : EMPTY);
  // Closing or reloading the tab with unsaved changes asks first.
  useEffect(() => {
    if (!dirty || !editable) return;
    const ask = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', ask);
    return () => window.removeEventListener('beforeunload', ask);
  }, [dirty, editable]);

  const at = selected ? find(doc, selected) : undefined;
  const defaultIntegration = integrations.data?.items[0]?.slug ?? '';
  const add = (type: (typeof STEP_TYPES)[number]['value']) => {
    const r = addStep(doc, newStep(doc, type, defaultIntegration), at && !at.compensation ? at.pointer : undefined);
    setDoc(r.doc);
    setSelected(r.pointer);
  };

  const publish = async () => {
    if (!saved) return;
    const w = await api.post<Workflow>(`/workflows/${seg(saved.slug)}/publish`);
    setSaved(w);
    qc.setQueryData(keys.workflow(w.slug), w);
    await qc.invalidateQueries({ queryKey: keys.workflows, exact: true });
    await qc.invalidateQueries({ queryKey: keys.definition(w.slug, true) });
  };

  const title = saved ? saved.name || saved.slug : 'New workflow';
  const stepOptions = allSteps(doc).map((l) => ({ value: l.pointer, label: `${l.step.name || '(unnamed)'}${l.compensation ? ' (compensation)' : l.inBranch ? ' (branch)' : ''}` }));

  return (
    <>
      <Anchor component={Link} to="/workflows" size="sm">
        ← Workflows
      </Anchor>
      <PageHeader
        title={title}
        description={
          saved ? (
            <>
              Slug <Code>{saved.slug}</Code> · revision {saved.revision} · updated {fmtTime(saved.updatedAt)}
              {saved.deployed && <> · published {fmtTime(saved.deployed.publishedAt)} (revision {saved.deployed.revision})</>}
            </>
          ) : (
            'Add steps, connect them, save; publish to deploy.'
          )
        }
        actions={
          <>
            {saved && <WorkflowStatus w={saved} />}
            {saved && (
              <Can do="deleteWorkflow">
                <Confirm
                  label="Delete"
                  color="red"
                  size="sm"
                  title={`Delete ${title}?`}
                  message="Endpoints that target it must stop first; the server refuses otherwise."
                  confirmLabel="Delete workflow"
                  onConfirm={async () => {
                    await api.del(`/workflows/${seg(saved.slug)}`);
                    await qc.invalidateQueries({ queryKey: keys.workflows, exact: true });
                    nav('/workflows');
                  }}
                />
              </Can>
            )}
            {saved && (
              <Can do="publishWorkflow">
                {dirty ? (
                  <Button size="sm" variant="light" disabled title="Save the changes first: publish deploys the saved revision">
                    Publish
                  </Button>
                ) : (
                  <Confirm
                    label="Publish"
                    size="sm"
                    title={`Publish ${title}?`}
                    message={
                      <>
                        Revision {saved.revision} is compiled and deployed{saved.deployed && (saved.revision ?? 0) > saved.deployed.revision + 1 ? `, replacing revision ${saved.deployed.revision}` : saved.deployed ? ' again' : ''}. Endpoints targeting{' '}
                        <Code>{saved.slug}</Code> run it from the next configuration version.
                      </>
                    }
                    confirmLabel="Publish"
                    onConfirm={publish}
                  />
                )}
              </Can>
            )}
            {editable && (
              <Button size="sm" onClick={() => save.mutate(doc)} loading={save.isPending} disabled={!!textError || (!!saved && !dirty)}>
                {saved ? 'Save workflow' : 'Create workflow'}
              </Button>
            )}
          </>
        }
      />
      <ErrorAlert error={save.error && saveErrors.length === 0 ? save.error : undefined} />
      {!editable && (
        <Text size="sm" c="dimmed" mb="sm">
          Your role can look at workflows; developers and above edit them.
        </Text>
      )}
      <Tabs value={tab} onChange={(v) => setParams(v && v !== 'builder' ? { tab: v } : {}, { replace: true })} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="builder">Builder</Tabs.Tab>
          <Tabs.Tab value="json">JSON</Tabs.Tab>
          <Tabs.Tab value="asl" disabled={!saved}>
            Compiled ASL
          </Tabs.Tab>
          <Tabs.Tab value="runs" disabled={!saved}>
            Test run and executions
          </Tabs.Tab>
        </Tabs.List>

        <Tabs.Panel value="builder">
          <Stack gap="sm">
            <CheckStatus check={check} saveErrors={saveErrors} editable={editable} textError={textError} />
            <ProblemList problems={problems} onSelect={setSelected} doc={doc} />
            <Grid>
              <Grid.Col span={{ base: 12, lg: 8 }}>
                <Stack gap="xs">
                  {editable && (
                    <Group gap="xs">
                      <Menu position="bottom-start" withinPortal>
                        <Menu.Target>
                          <Button size="xs" leftSection={<IconPlus size={14} />} rightSection={<IconChevronDown size={14} />} disabled={!!textError}>
                            Add step
                          </Button>
                        </Menu.Target>
                        <Menu.Dropdown>
                          <Menu.Label>{at && !at.compensation ? `After ${at.step.name}` : 'At the end'}</Menu.Label>
                          {STEP_TYPES.map((t) => (
                            <Menu.Item key={t.value} onClick={() => add(t.value)}>
                              {t.label}
                            </Menu.Item>
                          ))}
                        </Menu.Dropdown>
                      </Menu>
                      <Text size="xs" c="dimmed">
                        Drag from a step's lower handle to another step to connect them.
                      </Text>
                    </Group>
                  )}
                  {textError ? (
                    <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} title="The JSON does not parse">
                      {textError}. Fix it in the JSON tab; the graph shows the last document that parsed.
                    </Alert>
                  ) : null}
                  <WorkflowGraph
                    label="Workflow graph"
                    doc={doc}
                    selected={selected}
                    onSelect={setSelected}
                    problems={byNode}
                    editable={editable && !textError}
                    onConnect={(s, t, h) => setDoc(connect(doc, s, t, h))}
                  />
                </Stack>
              </Grid.Col>
              <Grid.Col span={{ base: 12, lg: 4 }}>
                <Card>
                  <Stack gap="sm">
                    <Select
                      label="Selected step"
                      placeholder="Workflow settings"
                      data={stepOptions}
                      value={at ? at.pointer : null}
                      onChange={(v) => setSelected(v)}
                      clearable
                      searchable
                    />
                    {at ? (
                      <StepPanel
                        key={at.pointer}
                        doc={doc}
                        at={at}
                        problems={byNode.get(at.pointer) ?? []}
                        integrations={integrations.data?.items ?? []}
                        transforms={transforms.data?.items ?? []}
                        editable={editable && !textError}
                        onChange={(s) => setDoc(replaceStep(doc, at.pointer, s))}
                        onRemove={() => {
                          setDoc(removeStep(doc, at.pointer));
                          setSelected(null);
                        }}
                        onAddCompensation={() => {
                          const r = addCompensation(doc, at.pointer);
                          setDoc(r.doc);
                          setSelected(r.pointer);
                        }}
                        onSelect={setSelected}
                      />
                    ) : (
                      <Settings doc={doc} setDoc={setDoc} problems={workflowProblems} editable={editable && !textError} stored={!!saved} />
                    )}
                  </Stack>
                </Card>
              </Grid.Col>
            </Grid>
          </Stack>
        </Tabs.Panel>

        <Tabs.Panel value="json">
          <JsonEditor
            label="Workflow JSON"
            description="The model the server stores; the graph and the forms edit this document."
            value={text}
            onChange={editable ? onText : undefined}
            readOnly={!editable}
            problems={problems}
            height="560px"
            error={textError ? `Not valid: ${textError}` : undefined}
          />
        </Tabs.Panel>

        <Tabs.Panel value="asl">{saved && <Definition slug={saved.slug} published={!!saved.deployed} dirty={dirty} />}</Tabs.Panel>
        <Tabs.Panel value="runs">{saved && <WorkflowRuns workflow={saved} dirty={dirty} />}</Tabs.Panel>
      </Tabs>
    </>
  );
}

function CheckStatus({ check, saveErrors, editable, textError }: { check: ReturnType<typeof useWorkflowCheck>; saveErrors: FieldError[]; editable: boolean; textError?: string }) {
  if (!editable) return null;
  let msg: string;
  if (textError) msg = 'Fix the JSON to check the workflow.';
  else if (check.unavailable) msg = `This server has no live check for workflows (${check.unavailable}); saving checks the workflow${saveErrors.length ? ': the problems shown are from the last save' : ''}.`;
  else if (check.checking) msg = 'Checking…';
  else if (check.checked) msg = check.errors.length ? `${check.errors.length} problem${check.errors.length === 1 ? '' : 's'} to fix.` : 'No problems found.';
  else msg = '';
  return (
    <Text size="xs" c="dimmed" aria-live="polite" data-testid="check-status">
      {msg}
    </Text>
  );
}

/** ProblemList names every problem, each with a button that selects the step it is in. */
function ProblemList({ problems, onSelect, doc }: { problems: FieldError[]; onSelect: (p: string | null) => void; doc: WorkflowDoc }) {
  if (problems.length === 0) return null;
  return (
    <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} title={`${problems.length} problem${problems.length === 1 ? '' : 's'} in the workflow`} role="alert">
      <List size="sm">
        {problems.map((p) => {
          const t = locate(p.pointer);
          const step = t ? find(doc, t.node)?.step : undefined;
          return (
            <List.Item key={p.pointer + p.detail}>
              {step ? (
                <Anchor component="button" type="button" size="sm" fw={600} onClick={() => onSelect(t!.node)}>
                  {step.name}
                  {t!.field ? ` › ${pointerLabel(t!.field)}` : ''}
                </Anchor>
              ) : (
                <Text span fw={600} size="sm">
                  {pointerLabel(p.pointer)}
                </Text>
              )}
              : {p.detail}
            </List.Item>
          );
        })}
      </List>
    </Alert>
  );
}

/** Settings is the form of the workflow itself (what no step owns). */
function Settings({ doc, setDoc, problems, editable, stored }: { doc: WorkflowDoc; setDoc: (d: WorkflowDoc) => void; problems: FieldError[]; editable: boolean; stored: boolean }) {
  const fe = new FieldErrors(problems);
  const ro = !editable;
  const set = (patch: Partial<WorkflowDoc>) => {
    const d = { ...doc, ...patch };
    for (const k of Object.keys(patch) as (keyof WorkflowDoc)[]) if (d[k] === undefined || d[k] === '') delete d[k];
    setDoc(d);
  };
  const names = (doc.steps ?? []).map((s) => s.name);
  return (
    <Stack gap="sm" role="group" aria-label="Workflow settings">
      <Text size="sm" fw={600}>
        Workflow settings
      </Text>
      <Text size="xs" c="dimmed">
        Select a step in the graph (or above) to edit it.
      </Text>
      <TextInput label="Name" value={doc.name ?? ''} onChange={(e) => set({ name: e.currentTarget.value })} error={fe.at('/name')} readOnly={ro} />
      <TextInput label="Slug" value={doc.slug} onChange={(e) => setDoc({ ...doc, slug: e.currentTarget.value })} error={fe.at('/slug')} disabled={stored} readOnly={ro} required classNames={{ input: 'mono' }} />
      <Stack gap={4}>
        <Text size="sm" fw={500} id="wf-kind">
          Kind
        </Text>
        <SegmentedControl
          aria-labelledby="wf-kind"
          value={doc.kind ?? 'express'}
          onChange={(v) => set({ kind: v as WorkflowKind })}
          disabled={ro}
          data={[
            { value: 'express', label: 'Express (answers the call)' },
            { value: 'standard', label: 'Standard (202, runs long)' },
          ]}
        />
        {fe.at('/kind') && (
          <Text size="xs" c="red.8">
            {fe.at('/kind')}
          </Text>
        )}
      </Stack>
      <Textarea label="Description" value={doc.description ?? ''} onChange={(e) => set({ description: e.currentTarget.value })} error={fe.at('/description')} readOnly={ro} autosize minRows={1} />
      <Select label="Start at" data={[{ value: '', label: '(the first step)' }, ...names.map((n) => ({ value: n, label: n }))]} value={doc.startAt ?? ''} onChange={(v) => set({ startAt: v || undefined })} error={fe.at('/startAt')} readOnly={ro} allowDeselect={false} />
      <TextInput label="Output" description="JSONPath of the state returned on success (default $)." placeholder="$" value={doc.output ?? ''} onChange={(e) => set({ output: e.currentTarget.value })} error={fe.at('/output')} readOnly={ro} classNames={{ input: 'mono' }} />
      <Group grow align="flex-start">
        <NumberInput label="Failure status" description="HTTP status of a failed run (default 502)." min={400} max={599} value={doc.failureStatus ?? ''} onChange={(v) => set({ failureStatus: v === '' ? undefined : Number(v) })} error={fe.at('/failureStatus')} readOnly={ro} />
        <NumberInput label="Timeout (s)" description="Of the whole run." min={0} value={doc.timeoutSeconds ?? ''} onChange={(v) => set({ timeoutSeconds: v === '' ? undefined : Number(v) })} error={fe.at('/timeoutSeconds')} readOnly={ro} />
      </Group>
      <ErrorAlert fieldErrors={fe.unclaimed(['/name', '/slug', '/kind', '/description', '/startAt', '/output', '/failureStatus', '/timeoutSeconds'])} title="Other problems" />
    </Stack>
  );
}

/** Definition shows the Amazon States Language the server compiles: of the saved revision, or the published one. */
function Definition({ slug, published, dirty }: { slug: string; published: boolean; dirty: boolean }) {
  const [which, setWhich] = useState<'saved' | 'published'>('saved');
  const def = useWorkflowDefinition(slug, which === 'published');
  const errs = def.error instanceof ApiError ? def.error.fieldErrors : [];
  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <SegmentedControl
          aria-label="Which definition"
          value={which}
          onChange={(v) => setWhich(v as 'saved' | 'published')}
          data={[
            { value: 'saved', label: 'Saved revision (what publish deploys)' },
            { value: 'published', label: 'Published', disabled: !published },
          ]}
        />
        {dirty && which === 'saved' && (
          <Text size="xs" c="orange.9">
            Unsaved changes are not in it: save to compile them.
          </Text>
        )}
      </Group>
      {def.isPending ? (
        <Loader size="sm" aria-label="Loading" />
      ) : def.error ? (
        <ErrorAlert error={def.error} fieldErrors={errs} title={errs.length ? 'The saved workflow does not compile' : undefined} />
      ) : (
        <JsonEditor label="Amazon States Language" description="Read-only: compiled by the server (docs/workflows.md)." value={pretty(def.data)} readOnly height="560px" />
      )}
    </Stack>
  );
}
