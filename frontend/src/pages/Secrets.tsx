import { Button, Group, Modal, PasswordInput, Stack, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ApiError, api, seg } from '../api/client';
import { keys, useSecrets } from '../api/hooks';
import type { TenantSecret } from '../api/types';
import { Can } from '../auth/session';
import { Confirm, ErrorAlert, fmtTime } from '../components/common';
import { ResourceList } from '../components/ResourceList';
import { FieldErrors } from '../lib/problem';

/**
 * Secrets lists the tenant's secrets by name. Values are write-only: the
 * console sends them and never gets them back (docs/secrets.md).
 */
export function Secrets() {
  const list = useSecrets();
  const qc = useQueryClient();
  const [editing, setEditing] = useState<TenantSecret | 'new' | null>(null);
  return (
    <>
      <ResourceList
        title="Secrets"
        description="Credentials your integrations send upstream, stored encrypted. Values are write-only: set or replace them here, reference them by name in an integration's authentication."
        create={{ label: 'New secret', role: 'manageSecrets', onClick: () => setEditing('new') }}
        list={list}
        empty="No secrets yet."
        columns={[{ label: 'Name' }, { label: 'Version' }, { label: 'Updated' }, { w: 200 }]}
        rowKey={(s) => s.name}
        row={(s) => (
          <>
            <Table.Td>
              <Text fw={600} size="sm" className="mono">
                {s.name}
              </Text>
            </Table.Td>
            <Table.Td>
              <Text size="sm">{s.revision}</Text>
            </Table.Td>
            <Table.Td>
              <Text size="sm" c="dimmed">
                {fmtTime(s.updatedAt)} {s.updatedBy ? `by ${s.updatedBy}` : ''}
              </Text>
            </Table.Td>
            <Table.Td>
              <Group gap={4} wrap="nowrap">
                <Can do="manageSecrets">
                  <Button size="xs" variant="subtle" onClick={() => setEditing(s)}>
                    Replace value
                  </Button>
                  <Confirm
                    label="Delete"
                    variant="subtle"
                    color="red"
                    title={`Delete ${s.name}?`}
                    message="Integrations can no longer use it. A secret still referenced by an integration cannot be deleted."
                    confirmLabel="Delete"
                    onConfirm={async () => {
                      await api.del(`/secrets/${seg(s.name)}`);
                      await qc.invalidateQueries({ queryKey: keys.secrets });
                    }}
                  />
                </Can>
              </Group>
            </Table.Td>
          </>
        )}
      />
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? 'New secret' : 'Replace secret value'}>
        {editing !== null && <SecretForm name={editing === 'new' ? undefined : editing.name} onDone={() => setEditing(null)} />}
      </Modal>
    </>
  );
}

/** SecretForm sets a secret's value (PUT creates or replaces); the value field starts empty, always. */
export function SecretForm({ name: fixed, onDone }: { name?: string; onDone: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState(fixed ?? '');
  const [value, setValue] = useState('');
  const save = useMutation({
    mutationFn: () => api.put<TenantSecret>(`/secrets/${seg(name)}`, { value }),
    onSuccess: () => {
      setValue('');
      void qc.invalidateQueries({ queryKey: keys.secrets });
      onDone();
    },
  });
  const submitErrors = save.error instanceof ApiError ? save.error.fieldErrors : [];
  const fe = new FieldErrors(submitErrors);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form onSubmit={submit} noValidate aria-label={fixed ? 'Replace secret value' : 'New secret'}>
      <Stack>
        <TextInput
          label="Name"
          description="Letters, digits, - and _; integrations reference it by this name"
          value={name}
          onChange={(e) => {
            save.reset();
            setName(e.currentTarget.value);
          }}
          error={fe.at('/name')}
          classNames={{ input: 'mono' }}
          required
          disabled={!!fixed}
          data-autofocus={!fixed || undefined}
        />
        <PasswordInput
          label="Value"
          description="Write-only: it is never shown again"
          value={value}
          onChange={(e) => {
            save.reset();
            setValue(e.currentTarget.value);
          }}
          error={fe.at('/value')}
          autoComplete="off"
          required
          data-autofocus={fixed ? true : undefined}
        />
        <ErrorAlert error={save.error && submitErrors.length === 0 ? save.error : undefined} fieldErrors={fe.unclaimed(['/name', '/value'])} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending} disabled={name === '' || value === ''}>
            {fixed ? 'Replace value' : 'Create secret'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
