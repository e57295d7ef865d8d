import { Anchor, Button, Group, Modal, Skeleton, Stack, Table, Text, TextInput, Textarea } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useMutation, useQueries, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiError, api, getPage, seg } from '../api/client';
import { keys, useApis } from '../api/hooks';
import type { Api, Version } from '../api/types';
import { Can } from '../auth/session';
import { Card, Empty, ErrorAlert, PageHeader, StatusBadge } from '../components/common';
import { FieldErrors } from '../lib/problem';
import { useDryRun } from '../lib/useDryRun';

export function Apis() {
  const apis = useApis();
  const [creating, setCreating] = useState(false);
  const items = apis.data?.items ?? [];
  const versions = useQueries({
    queries: items.map((a) => ({
      queryKey: keys.versions(a.slug),
      queryFn: ({ signal }: { signal: AbortSignal }) => getPage<Version>(`/apis/${seg(a.slug)}/versions?limit=500`, signal),
    })),
  });
  return (
    <>
      <PageHeader
        title="APIs"
        description="Each API groups versioned endpoints under a base path."
        actions={
          <Can do="createApi">
            <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
              New API
            </Button>
          </Can>
        }
      />
      <ErrorAlert error={apis.error} />
      <Card>
        {apis.isPending ? (
          <Stack>
            <Skeleton h={28} />
            <Skeleton h={28} />
          </Stack>
        ) : items.length === 0 ? (
          <Empty>No APIs yet.</Empty>
        ) : (
          <Table highlightOnHover verticalSpacing="sm" aria-label="APIs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Base path</Table.Th>
                <Table.Th>Versions</Table.Th>
                <Table.Th>Updated</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((a, i) => (
                <Table.Tr key={a.slug}>
                  <Table.Td>
                    <Anchor component={Link} to={`/apis/${a.slug}`} fw={600}>
                      {a.name}
                    </Anchor>
                    <Text size="xs" c="dimmed">
                      {a.slug}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text ff="monospace" size="sm">
                      {a.basePath || '/'}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={6}>
                      {versions[i]?.data?.items.length === 0 && (
                        <Text size="sm" c="dimmed">
                          none
                        </Text>
                      )}
                      {versions[i]?.data?.items.map((v) => (
                        <Group key={v.name} gap={4}>
                          <Text size="sm" fw={500}>
                            {v.name}
                          </Text>
                          <StatusBadge status={v.status} />
                        </Group>
                      ))}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" c="dimmed">
                      {a.updatedAt ? new Date(a.updatedAt).toLocaleDateString() : '—'}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Card>
      <Modal opened={creating} onClose={() => setCreating(false)} title="New API" size="lg">
        <ApiForm onDone={() => setCreating(false)} />
      </Modal>
    </>
  );
}

const apiFields = ['/slug', '/name', '/basePath', '/description'];

/** ApiForm creates an API, with the server's field errors as you type. */
export function ApiForm({ onDone }: { onDone: () => void }) {
  const qc = useQueryClient();
  const nav = useNavigate();
  const [doc, setDoc] = useState<Api>({ slug: '', name: '', basePath: '', description: '' });
  const [touched, setTouched] = useState(false);
  const dry = useDryRun('api', doc, touched);
  const create = useMutation({
    mutationFn: (a: Api) => api.post<Api>('/apis', a),
    onSuccess: (a) => {
      void qc.invalidateQueries({ queryKey: keys.apis });
      onDone();
      nav(`/apis/${a.slug}`);
    },
  });
  const submitErrors = create.error instanceof ApiError ? create.error.fieldErrors : [];
  const fe = submitErrors.length ? new FieldErrors(submitErrors) : dry.errors;
  const set = (patch: Partial<Api>) => {
    setTouched(true);
    create.reset();
    setDoc((d) => ({ ...d, ...patch }));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(doc);
  };
  return (
    <form onSubmit={submit} noValidate aria-label="New API">
      <Stack>
        <TextInput label="Name" value={doc.name} onChange={(e) => set({ name: e.currentTarget.value })} error={fe.at('/name')} required data-autofocus />
        <TextInput
          label="Slug"
          description="Lowercase identifier used in URLs of the console API."
          value={doc.slug}
          onChange={(e) => set({ slug: e.currentTarget.value })}
          error={fe.at('/slug')}
          required
        />
        <TextInput
          label="Base path"
          description="Prefixes every endpoint path, e.g. /orders. Empty for none."
          value={doc.basePath}
          onChange={(e) => set({ basePath: e.currentTarget.value })}
          error={fe.at('/basePath')}
          classNames={{ input: 'mono' }}
        />
        <Textarea label="Description" value={doc.description} onChange={(e) => set({ description: e.currentTarget.value })} error={fe.at('/description')} autosize minRows={2} />
        <ErrorAlert error={create.error && submitErrors.length === 0 ? create.error : undefined} fieldErrors={fe.unclaimed(apiFields)} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending}>
            Create API
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
