import { Badge, Button, Code, Group, Select, SimpleGrid, Skeleton, Stack, Table, Text, TextInput, UnstyledButton } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconChevronDown, IconChevronRight } from '@tabler/icons-react';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { useSearchParams } from 'react-router';
import { getPage } from '../api/client';
import { keys } from '../api/hooks';
import type { AuditEntry } from '../api/types';
import { Card, Empty, ErrorAlert, PageHeader, fmtTime } from '../components/common';
import { diff } from '../lib/diff';

const resourceTypes = ['tenant', 'api', 'version', 'endpoint', 'integration', 'consumer', 'member'];

/** toRFC3339 turns a datetime-local value into the RFC 3339 instant the server expects. */
function toRFC3339(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Audit is the change log: every configuration change, who made it, and the before/after. */
export function Audit() {
  const [sp, setSp] = useSearchParams();
  const filters = {
    resourceType: sp.get('resourceType') ?? '',
    resource: sp.get('resource') ?? '',
    actor: sp.get('actor') ?? '',
    from: sp.get('from') ?? '',
    to: sp.get('to') ?? '',
  };
  const [debounced] = useDebouncedValue(filters, 300);
  const setFilter = (k: keyof typeof filters, v: string) => {
    const n = new URLSearchParams(sp);
    if (v) n.set(k, v);
    else n.delete(k);
    setSp(n, { replace: true });
  };
  const q = new URLSearchParams();
  if (debounced.resourceType) q.set('resourceType', debounced.resourceType);
  if (debounced.resource) q.set('resource', debounced.resource);
  if (debounced.actor) q.set('actor', debounced.actor);
  const from = toRFC3339(debounced.from);
  const to = toRFC3339(debounced.to);
  if (from) q.set('from', from);
  if (to) q.set('to', to);
  q.set('limit', '50');
  const log = useInfiniteQuery({
    queryKey: [...keys.audit, q.toString()],
    queryFn: ({ pageParam, signal }) => getPage<AuditEntry>(`/audit?${q.toString()}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`, signal),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor || undefined,
  });
  const entries = log.data?.pages.flatMap((p) => p.items) ?? [];
  const [open, setOpen] = useState<string | null>(null);

  return (
    <>
      <PageHeader title="Audit log" description="Every configuration change: who, what, when, and the document before and after." />
      <Card>
        <SimpleGrid cols={{ base: 1, sm: 5 }} mb="md" component="form" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
          <Select label="Resource type" placeholder="Any" clearable data={resourceTypes} value={filters.resourceType || null} onChange={(v) => setFilter('resourceType', v ?? '')} />
          <TextInput label="Resource" placeholder="api/shop" value={filters.resource} onChange={(e) => setFilter('resource', e.currentTarget.value)} />
          <TextInput label="Actor" placeholder="owner@demo.local" value={filters.actor} onChange={(e) => setFilter('actor', e.currentTarget.value)} />
          <TextInput label="From" type="datetime-local" value={filters.from} onChange={(e) => setFilter('from', e.currentTarget.value)} />
          <TextInput label="To" type="datetime-local" value={filters.to} onChange={(e) => setFilter('to', e.currentTarget.value)} />
        </SimpleGrid>
        <ErrorAlert error={log.error} />
        {log.isPending ? (
          <Skeleton h={120} />
        ) : entries.length === 0 ? (
          <Empty>No changes match these filters.</Empty>
        ) : (
          <Table verticalSpacing="xs" aria-label="Audit entries">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={28} />
                <Table.Th>When</Table.Th>
                <Table.Th>Actor</Table.Th>
                <Table.Th>Action</Table.Th>
                <Table.Th>Resource</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {entries.map((e) => (
                <Fragment key={e.id}>
                  <Table.Tr>
                    <Table.Td>
                      <UnstyledButton aria-expanded={open === e.id} aria-label={`Show changes of ${e.action} ${e.resource}`} onClick={() => setOpen(open === e.id ? null : e.id)}>
                        {open === e.id ? <IconChevronDown size={16} /> : <IconChevronRight size={16} />}
                      </UnstyledButton>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{fmtTime(e.time)}</Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{e.actor}</Text>
                      {e.actorRole && (
                        <Text size="xs" c="dimmed">
                          {e.actorRole}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" radius="sm" color={e.action === 'delete' ? 'red' : e.action === 'create' ? 'green' : 'blue'}>
                        {e.action}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" ff="monospace">
                        {e.resource}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                  {open === e.id && (
                    <Table.Tr>
                      <Table.Td colSpan={5} bg="gray.0">
                        <DiffView before={e.before} after={e.after} />
                      </Table.Td>
                    </Table.Tr>
                  )}
                </Fragment>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {log.hasNextPage && (
          <Group justify="center" mt="md">
            <Button variant="default" onClick={() => log.fetchNextPage()} loading={log.isFetchingNextPage}>
              Load more
            </Button>
          </Group>
        )}
      </Card>
    </>
  );
}

const show = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));

export function DiffView({ before, after }: { before: unknown; after: unknown }) {
  const changes = diff(before, after);
  if (changes.length === 0) return <Text size="sm">No field changed.</Text>;
  return (
    <Stack gap={2} aria-label="Changes">
      {changes.map((c) => (
        <Group key={c.path} gap="xs" wrap="nowrap" align="baseline">
          <Code style={{ minWidth: 220 }}>{c.path}</Code>
          {c.kind !== 'added' && (
            <Text size="sm" ff="monospace" c="red.9" td="line-through" aria-label={`before ${show(c.before)}`}>
              {show(c.before)}
            </Text>
          )}
          {c.kind === 'changed' && <Text size="sm" c="dimmed" aria-hidden>→</Text>}
          {c.kind !== 'removed' && (
            <Text size="sm" ff="monospace" c="green.9" aria-label={`after ${show(c.after)}`}>
              {show(c.after)}
            </Text>
          )}
        </Group>
      ))}
    </Stack>
  );
}
