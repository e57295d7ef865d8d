import { Anchor, Button, Group, Modal, Stack, Table, Text, TextInput, Textarea } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { ApiError, api, seg } from '../api/client';
import { keys, useConsumers } from '../api/hooks';
import type { Consumer } from '../api/types';
import { Can } from '../auth/session';
import { Confirm, ErrorAlert, fmtTime } from '../components/common';
import { ResourceList } from '../components/ResourceList';
import { FieldErrors } from '../lib/problem';
import { useDryRun } from '../lib/useDryRun';

export function Consumers() {
  const list = useConsumers();
  const qc = useQueryClient();
  const [editing, setEditing] = useState<Consumer | 'new' | null>(null);
  return (
    <>
      <ResourceList
        title="Consumers"
        description="Applications and partners that call your APIs. Open one to issue its API keys and OAuth2 clients."
        create={{ label: 'New consumer', role: 'editConsumer', onClick: () => setEditing('new') }}
        list={list}
        empty="No consumers yet."
        columns={[{ label: 'Name' }, { label: 'Description' }, { label: 'Created' }, { w: 160 }]}
        rowKey={(c) => c.slug}
        row={(c) => (
          <>
            <Table.Td>
              <Anchor component={Link} to={`/consumers/${seg(c.slug)}`} fw={600} size="sm">
                {c.name}
              </Anchor>
              <Text size="xs" c="dimmed">
                {c.slug}
              </Text>
            </Table.Td>
            <Table.Td>
              <Text size="sm">{c.description}</Text>
            </Table.Td>
            <Table.Td>
              <Text size="sm" c="dimmed">
                {fmtTime(c.createdAt)}
              </Text>
            </Table.Td>
            <Table.Td>
              <Group gap={4} wrap="nowrap">
                <Can do="editConsumer">
                  <Button size="xs" variant="subtle" onClick={() => setEditing(c)}>
                    Edit
                  </Button>
                </Can>
                <Can do="deleteConsumer">
                  <Confirm
                    label="Delete"
                    variant="subtle"
                    color="red"
                    title={`Delete ${c.name}?`}
                    message="The consumer can no longer be identified by its credentials."
                    confirmLabel="Delete"
                    onConfirm={async () => {
                      await api.del(`/consumers/${seg(c.slug)}`);
                      await qc.invalidateQueries({ queryKey: keys.consumers });
                    }}
                  />
                </Can>
              </Group>
            </Table.Td>
          </>
        )}
      />
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? 'New consumer' : 'Edit consumer'}>
        {editing !== null && <ConsumerForm initial={editing === 'new' ? undefined : editing} onDone={() => setEditing(null)} />}
      </Modal>
    </>
  );
}

function ConsumerForm({ initial, onDone }: { initial?: Consumer; onDone: () => void }) {
  const qc = useQueryClient();
  const [doc, setDoc] = useState<Consumer>(() => initial ?? { slug: '', name: '', description: '' });
  const [touched, setTouched] = useState(false);
  const dry = useDryRun('consumer', doc, touched);
  const save = useMutation({
    mutationFn: (d: Consumer) => (initial ? api.put<Consumer>(`/consumers/${seg(initial.slug)}`, d) : api.post<Consumer>('/consumers', d)),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.consumers });
      onDone();
    },
  });
  const submitErrors = save.error instanceof ApiError ? save.error.fieldErrors : [];
  const fe = submitErrors.length ? new FieldErrors(submitErrors) : dry.errors;
  const set = (patch: Partial<Consumer>) => {
    setTouched(true);
    save.reset();
    setDoc((d) => ({ ...d, ...patch }));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(doc);
  };
  return (
    <form onSubmit={submit} noValidate aria-label={initial ? 'Edit consumer' : 'New consumer'}>
      <Stack>
        <TextInput label="Name" value={doc.name} onChange={(e) => set({ name: e.currentTarget.value })} error={fe.at('/name')} required data-autofocus />
        <TextInput label="Slug" value={doc.slug} onChange={(e) => set({ slug: e.currentTarget.value })} error={fe.at('/slug')} required disabled={!!initial} />
        <Textarea label="Description" value={doc.description ?? ''} onChange={(e) => set({ description: e.currentTarget.value })} error={fe.at('/description')} autosize minRows={2} />
        <ErrorAlert error={save.error && submitErrors.length === 0 ? save.error : undefined} fieldErrors={fe.unclaimed(['/slug', '/name', '/description'])} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending}>
            {initial ? 'Save consumer' : 'Create consumer'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
