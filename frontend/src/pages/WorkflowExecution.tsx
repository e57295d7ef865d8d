import { Alert, Anchor, Badge, Code, Grid, Group, Stack, Text, Timeline } from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconPlayerPlay, IconRefresh, IconX } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, api, seg } from '../api/client';
import { keys, useExecution, useWorkflow } from '../api/hooks';
import type { Execution, ExecutionError, ExecutionEvent, Workflow } from '../api/types';
import { Can } from '../auth/session';
import { Card, Confirm, ErrorAlert, PageHeader, PageLoading, fmtTime } from '../components/common';
import { ExecutionStatusBadge, duration } from '../components/ExecutionStatus';
import { WorkflowGraph, runLabels } from '../components/WorkflowGraph';
import { docOf, runStates, type RunState } from '../lib/workflowModel';

export function WorkflowExecution() {
  const { workflow: slug = '', execution: id = '' } = useParams();
  const x = useExecution(slug, id);
  const wf = useWorkflow(slug);
  if (x.isPending)
    return <PageLoading />;
  return (
    <>
      <Anchor component={Link} to={`/workflows/${seg(slug)}?tab=runs`} size="sm">
        ← {wf.data?.name || slug}: executions
      </Anchor>
      {x.error ? <ErrorAlert error={x.error} /> : <ExecutionView x={x.data!} workflow={wf.data} />}
    </>
  );
}

const eventLabel: Record<string, string> = {
  StateEntered: 'entered',
  StateExited: 'exited',
  StateFailed: 'failed',
  TaskRetried: 'retried',
  ExecutionSucceeded: 'Execution succeeded',
  ExecutionFailed: 'Execution failed',
  ExecutionRedriven: 'Execution redriven',
};

/** stateLabel names an engine state for people: steps by name, Portico's own states by what they do. */
function stateLabel(s: string | undefined): string {
  if (!s) return '';
  if (s === 'Portico.Start') return 'start';
  if (s === 'Portico.Done') return 'done';
  if (s === 'Portico.Failed') return 'fail (after compensation)';
  let m = /^Portico\.Undo\?\.(.+)$/.exec(s);
  if (m) return `did ${m[1]} complete?`;
  m = /^Portico\.Undo\.(.+)$/.exec(s);
  if (m) return `undo ${m[1]}`;
  m = /^Portico\.UndoFailed\.(.+)$/.exec(s);
  if (m) return `undo of ${m[1]} failed`;
  return s;
}

/** caughtFailure is the error a state's Catch recorded on exit ($.failure), when it was not there on entry. */
function caughtFailure(ev: ExecutionEvent, entered: ExecutionEvent | undefined): ExecutionError | undefined {
  const failure = (v: unknown) => (v && typeof v === 'object' && 'failure' in v ? (v as { failure: ExecutionError }).failure : undefined);
  return ev.type === 'StateExited' && !failure(entered?.input) ? failure(ev.output) : undefined;
}

function bullet(ev: ExecutionEvent, caught: boolean): { color: string; icon: ReactNode } {
  if (ev.type === 'StateFailed' || ev.type === 'ExecutionFailed' || ev.error || caught) return { color: 'red', icon: <IconX size={12} /> };
  if (ev.state?.startsWith('Portico.Undo')) return { color: 'orange', icon: <IconRefresh size={12} /> };
  if (ev.type === 'TaskRetried') return { color: 'yellow', icon: <IconRefresh size={12} /> };
  if (ev.type === 'ExecutionSucceeded') return { color: 'green', icon: <IconCheck size={12} /> };
  return { color: ev.type === 'StateExited' ? 'green' : 'blue', icon: <IconPlayerPlay size={10} /> };
}

function Payload({ label, value }: { label: string; value: unknown }) {
  if (value === undefined) return null;
  return (
    <details className="wf-payload">
      <summary>
        <Text span size="xs" fw={600}>
          {label}
        </Text>
      </summary>
      <Code block mt={4} style={{ maxHeight: 240, overflow: 'auto' }}>
        {JSON.stringify(value, null, 2)}
      </Code>
    </details>
  );
}

/** ExecutionTimeline lists an execution's history: each event with its time, offset, input/output and error. */
export function ExecutionTimeline({ x }: { x: Execution }) {
  const history = x.history ?? [];
  const t0 = new Date(x.startedAt).getTime();
  const entered = new Map<string, ExecutionEvent>();
  if (history.length === 0)
    return (
      <Text size="sm" c="dimmed">
        No history was recorded (an express execution on AWS keeps it in the state machine's log group).
      </Text>
    );
  return (
    <Timeline bulletSize={20} lineWidth={2} active={history.length} aria-label="Execution history">
      {history.map((ev, i) => {
        if (ev.type === 'StateEntered' && ev.state) entered.set(ev.state, ev);
        const caught = ev.state ? caughtFailure(ev, entered.get(ev.state)) : undefined;
        const error = ev.error ?? caught;
        const b = bullet(ev, !!caught);
        const at = new Date(ev.time).getTime();
        const what = caught ? 'failed (caught: compensating)' : (eventLabel[ev.type] ?? ev.type);
        const title = ev.state ? `${stateLabel(ev.state)} ${what}` : what;
        return (
          <Timeline.Item key={i} bullet={b.icon} color={b.color} title={<Text size="sm" fw={600}>{title}</Text>} data-testid="history-event">
            <Text size="xs" c="dimmed">
              {fmtTime(ev.time)}
              {Number.isFinite(at - t0) ? ` · +${at - t0} ms` : ''}
              {ev.state && ev.state !== stateLabel(ev.state) ? (
                <>
                  {' '}
                  · <Code fz="xs">{ev.state}</Code>
                </>
              ) : null}
            </Text>
            {error && (
              <Text size="sm" c="red.8" mt={2}>
                <Code>{error.Error}</Code>
                {error.Cause ? `: ${error.Cause}` : ''}
              </Text>
            )}
            <Payload label="Input" value={ev.input} />
            <Payload label="Output" value={ev.output} />
          </Timeline.Item>
        );
      })}
    </Timeline>
  );
}

function ExecutionView({ x, workflow }: { x: Execution; workflow?: Workflow }) {
  const qc = useQueryClient();
  const doc = useMemo(() => (workflow ? docOf(workflow) : undefined), [workflow]);
  const run = useMemo(() => {
    const m = runStates(x.history ?? [], doc);
    // Ended: a state still "running" is where the execution stopped.
    if (x.status !== 'RUNNING') for (const [k, v] of m) if (v === 'running') m.set(k, 'failed');
    return m;
  }, [x, doc]);
  const failure = [...(x.history ?? [])].reverse().find((e) => e.type === 'ExecutionFailed' || e.type === 'StateFailed')?.error;
  const [redriven, setRedriven] = useState<string>();
  const counts = new Map<RunState, number>();
  for (const v of run.values()) counts.set(v, (counts.get(v) ?? 0) + 1);

  return (
    <>
      <PageHeader
        title={
          <Group gap="sm">
            Execution <ExecutionStatusBadge status={x.status} />
          </Group>
        }
        description={
          <>
            Started {fmtTime(x.startedAt)} · {duration(x.startedAt, x.stoppedAt)} · {x.kind} · {x.source === 'test' ? 'test run' : 'through the gateway'}
            {x.redriveCount ? ` · redriven ${x.redriveCount}× (latest ${fmtTime(x.redrivenAt)})` : ''}
            {x.idempotencyKey && <> · Idempotency-Key <Code>{x.idempotencyKey}</Code></>}
          </>
        }
        actions={
          x.redrive?.possible && (
            <Can do="runWorkflow">
              <Confirm
                label="Redrive"
                size="sm"
                color="orange"
                title="Redrive this execution?"
                message={
                  <>
                    It resumes at <Code>{x.redrive.state}</Code>, the step it failed in, with the input that step received, under the same execution; the steps that completed do not run again. It calls the real upstreams.
                  </>
                }
                confirmLabel="Redrive"
                onConfirm={async () => {
                  let rec: Execution;
                  try {
                    rec = await api.post<Execution>(`/workflows/${seg(x.workflow)}/executions/${seg(x.id)}/redrive`);
                  } catch (e) {
                    if (e instanceof ApiError && (e.status === 404 || e.status === 405))
                      throw new ApiError({ ...e.problem, title: 'Redrive is not available on this server', detail: e.problem.detail });
                    throw e;
                  }
                  setRedriven(`Redrive started at ${x.redrive?.state ?? 'the failed step'}.`);
                  qc.setQueryData(keys.execution(x.workflow, x.id), rec);
                  await qc.invalidateQueries({ queryKey: keys.executions(x.workflow), exact: false, refetchType: 'none' });
                }}
              />
            </Can>
          )
        }
      />
      <Stack>
        {redriven && (
          <Alert color="green" variant="light" role="status">
            {redriven}
          </Alert>
        )}
        {x.status === 'FAILED' && (
          <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} title={`Failed with ${x.error ?? failure?.Error ?? 'an error'}`}>
            {failure?.Cause && <Text size="sm">Cause: {failure.Cause}</Text>}
          </Alert>
        )}
        {x.redrive && !x.redrive.possible && (
          <Text size="sm" c="dimmed" data-testid="redrive-refusal">
            No redrive: {x.redrive.detail ?? x.redrive.reason}
          </Text>
        )}
        {x.historyTruncated && (
          <Text size="sm" c="orange.9">
            The history was cut to fit the record: events or payloads are missing.
          </Text>
        )}
        <Grid>
          <Grid.Col span={{ base: 12, lg: 7 }}>
            <Card title="Steps">
              {doc ? (
                <Stack gap="xs">
                  <WorkflowGraph label="Steps of this execution" doc={doc} run={run} height={480} />
                  <Group gap="xs" aria-label="Legend">
                    {(Object.keys(runLabels) as RunState[]).map((k) =>
                      counts.get(k) ? (
                        <Badge key={k} color={runLabels[k].color} variant="light" radius="sm">
                          {runLabels[k].label}: {counts.get(k)}
                        </Badge>
                      ) : null,
                    )}
                  </Group>
                  <Text size="xs" c="dimmed">
                    Drawn from the workflow as saved now; the execution ran the definition published then.
                  </Text>
                </Stack>
              ) : (
                <Text size="sm" c="dimmed">
                  The workflow could not be read.
                </Text>
              )}
            </Card>
          </Grid.Col>
          <Grid.Col span={{ base: 12, lg: 5 }}>
            <Card title="History">
              <ExecutionTimeline x={x} />
            </Card>
          </Grid.Col>
        </Grid>
        <Text size="xs" c="dimmed">
          Record <Code>{x.id}</Code>
          {x.executionId && (
            <>
              {' '}
              · engine execution <Code>{x.executionId}</Code>
            </>
          )}
        </Text>
      </Stack>
    </>
  );
}
