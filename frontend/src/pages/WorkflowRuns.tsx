import { Anchor, Button, Code, Group, Select, Stack, Table, Text } from '@mantine/core';
import { IconPlayerPlay } from '@tabler/icons-react';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { ApiError, api, getPage, seg } from '../api/client';
import { keys } from '../api/hooks';
import type { Execution, ExecutionStatus, TestRun, Workflow } from '../api/types';
import { Can } from '../auth/session';
import { Card, Empty, ErrorAlert, fmtTime } from '../components/common';
import { ExecutionStatusBadge, duration, statusColor } from '../components/ExecutionStatus';
import { JsonEditor } from '../components/JsonEditor';

const SAMPLE = { body: {}, params: {}, query: {} };

/** WorkflowRuns is the workflow's test run form and its recorded executions. */
export function WorkflowRuns({ workflow, dirty }: { workflow: Workflow; dirty: boolean }) {
  const qc = useQueryClient();
  const slug = workflow.slug;
  const [input, setInput] = useState(() => JSON.stringify(SAMPLE, null, 2));
  const [status, setStatus] = useState<ExecutionStatus | ''>('');
  let parsed: unknown;
  let syntax: string | undefined;
  try {
    parsed = JSON.parse(input);
  } catch (e) {
    syntax = e instanceof Error ? e.message : String(e);
  }

  const executions = useInfiniteQuery({
    queryKey: [...keys.executions(slug), status],
    queryFn: ({ pageParam, signal }) =>
      getPage<Execution>(`/workflows/${seg(slug)}/executions?limit=25${status ? `&status=${status}` : ''}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`, signal),
    initialPageParam: '',
    getNextPageParam: (p) => p.nextCursor || undefined,
  });
  const items = executions.data?.pages.flatMap((p) => p.items) ?? [];

  const run = useMutation({
    mutationFn: (body: unknown) => api.post<TestRun>(`/workflows/${seg(slug)}/executions`, body),
    onSettled: () => qc.invalidateQueries({ queryKey: keys.executions(slug) }),
  });
  const result = run.data;
  // The run's own record (the newest one would be a guess: a gateway call may have started since).
  const recordId = run.isSuccess ? result?.record : undefined;

  return (
    <Stack>
      <Can do="runWorkflow">
        <Card title="Test run">
          <Stack gap="sm">
            <Text size="sm" c="dimmed">
              Runs the published definition with an input shaped like the gateway's: the request body, path parameters and query. It calls the real upstreams, and is recorded like a gateway call.
            </Text>
            {!workflow.deployed && (
              <Text size="sm" c="orange.9">
                Not published yet: publish first.
              </Text>
            )}
            {workflow.deployed && dirty && (
              <Text size="sm" c="orange.9">
                Runs revision {workflow.deployed.revision} as published, not your unsaved changes.
              </Text>
            )}
            <JsonEditor label="Test input" description='{"body": …, "params": {…}, "query": {…}}' value={input} onChange={setInput} height="140px" error={syntax ? `Not valid JSON: ${syntax}` : undefined} />
            <Group>
              <Button leftSection={<IconPlayerPlay size={16} />} onClick={() => run.mutate(parsed)} loading={run.isPending} disabled={!!syntax}>
                Run test execution
              </Button>
            </Group>
            <ErrorAlert error={run.error} fieldErrors={run.error instanceof ApiError ? run.error.fieldErrors : undefined} title={run.error ? 'The test run was refused' : undefined} />
            {result && (
              <Stack gap={6} data-testid="test-run-result" aria-live="polite">
                <Group gap="sm">
                  <ExecutionStatusBadge status={result.status} />
                  <Text size="sm">
                    A caller would get HTTP <b>{result.httpStatus}</b>
                  </Text>
                  {result.executionId && (
                    <Text size="xs" c="dimmed">
                      execution {result.executionId}
                    </Text>
                  )}
                  {recordId && (
                    <Anchor component={Link} to={`/workflows/${seg(slug)}/executions/${seg(recordId)}`} size="sm">
                      Open the execution
                    </Anchor>
                  )}
                </Group>
                {result.error && (
                  <Text size="sm" c="red.8">
                    <Code>{result.error.Error}</Code> {result.error.Cause}
                  </Text>
                )}
                {result.output !== undefined && <JsonEditor label="Output" value={JSON.stringify(result.output, null, 2)} readOnly height="180px" />}
              </Stack>
            )}
          </Stack>
        </Card>
      </Can>

      <Card
        title="Executions"
        actions={
          <Select
            aria-label="Status filter"
            size="xs"
            w={160}
            value={status}
            onChange={(v) => setStatus((v ?? '') as ExecutionStatus | '')}
            allowDeselect={false}
            data={[{ value: '', label: 'Any status' }, ...Object.keys(statusColor).map((s) => ({ value: s, label: s.replace('_', ' ').toLowerCase() }))]}
          />
        }
      >
        <Text size="xs" c="dimmed" mb="xs">
          Started through the gateway or a test run; kept 30 days. Newest first.
        </Text>
        <ErrorAlert error={executions.error} />
        {executions.isPending ? (
          <Text size="sm" c="dimmed">
            Loading…
          </Text>
        ) : items.length === 0 ? (
          <Empty>No executions{status ? ' with this status' : ''} yet.</Empty>
        ) : (
          <Table verticalSpacing="xs" aria-label="Executions" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Status</Table.Th>
                <Table.Th>Started</Table.Th>
                <Table.Th>Duration</Table.Th>
                <Table.Th>Source</Table.Th>
                <Table.Th>Error</Table.Th>
                <Table.Th>
                  <span className="sr-only">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((x) => (
                <Table.Tr key={x.id}>
                  <Table.Td>
                    <ExecutionStatusBadge status={x.status} />
                  </Table.Td>
                  <Table.Td>{fmtTime(x.startedAt)}</Table.Td>
                  <Table.Td>{duration(x.startedAt, x.stoppedAt)}</Table.Td>
                  <Table.Td>{x.source}</Table.Td>
                  <Table.Td>{x.error ? <Code>{x.error}</Code> : null}</Table.Td>
                  <Table.Td>
                    <Anchor component={Link} to={`/workflows/${seg(slug)}/executions/${seg(x.id)}`} size="sm" aria-label={`View execution started ${fmtTime(x.startedAt)}`}>
                      View
                    </Anchor>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {executions.hasNextPage && (
          <Group justify="center" mt="sm">
            <Button variant="default" size="xs" onClick={() => void executions.fetchNextPage()} loading={executions.isFetchingNextPage}>
              Load more
            </Button>
          </Group>
        )}
      </Card>
    </Stack>
  );
}
