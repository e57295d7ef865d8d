import { Anchor, Badge, Code, Stack, Table, Text } from '@mantine/core';
import { Link, useNavigate } from 'react-router';
import { seg } from '../api/client';
import { useWorkflows } from '../api/hooks';
import type { Workflow } from '../api/types';
import { fmtTime } from '../components/common';
import { ResourceList } from '../components/ResourceList';

/** WorkflowStatus says whether a workflow is published, and whether it changed since. */
export function WorkflowStatus({ w }: { w: Workflow }) {
  if (!w.deployed)
    return (
      <Badge color="gray" variant="light" radius="sm">
        draft
      </Badge>
    );
  // Publishing records the deployment as a revision of its own: the one after the compiled one.
  const changed = (w.revision ?? 0) > w.deployed.revision + 1;
  return (
    <Badge color={changed ? 'orange' : 'green'} variant="light" radius="sm" title={changed ? `revision ${w.revision} is saved; revision ${w.deployed.revision} was published` : undefined}>
      {changed ? 'changed since publish' : 'published'}
    </Badge>
  );
}

export function Workflows() {
  const list = useWorkflows();
  const nav = useNavigate();
  return (
    <ResourceList<Workflow>
      title="Workflows"
      description="Integration calls, transforms, conditions and parallel steps, with compensation when a later step fails. Endpoints run the published definition."
      create={{ label: 'New workflow', role: 'editWorkflow', onClick: () => nav('/workflows/new') }}
      list={list}
      empty="No workflows yet."
      columns={[{ label: 'Workflow' }, { label: 'Kind', w: 110 }, { label: 'Steps', w: 80 }, { label: 'Status', w: 190 }, { label: 'Last published', w: 220 }]}
      rowKey={(w) => w.slug}
      row={(w) => (
        <>
          <Table.Td>
            <Stack gap={0}>
              <Anchor component={Link} to={`/workflows/${seg(w.slug)}`} fw={600}>
                {w.name || w.slug}
              </Anchor>
              <Code c="dimmed" bg="transparent" p={0}>
                {w.slug}
              </Code>
            </Stack>
          </Table.Td>
          <Table.Td>{w.kind ?? 'express'}</Table.Td>
          <Table.Td>{w.steps?.length ?? 0}</Table.Td>
          <Table.Td>
            <WorkflowStatus w={w} />
          </Table.Td>
          <Table.Td>
            {w.deployed ? (
              <Text size="sm">
                {fmtTime(w.deployed.publishedAt)}
                <Text span size="xs" c="dimmed">
                  {' '}
                  · rev {w.deployed.revision}
                </Text>
              </Text>
            ) : (
              <Text size="sm" c="dimmed">
                never
              </Text>
            )}
          </Table.Td>
        </>
      )}
    />
  );
}
