import { Button, Group, Select, Skeleton, Stack, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ApiError, api, seg } from '../api/client';
import { keys, useMembers } from '../api/hooks';
import type { Member, Role } from '../api/types';
import { ROLES } from '../auth/roles';
import { Can, useSession } from '../auth/session';
import { Badge } from '@mantine/core';
import { Card, Confirm, Empty, ErrorAlert, PageHeader } from '../components/common';
import { FieldErrors } from '../lib/problem';
import { useDryRun } from '../lib/useDryRun';

const roleOptions = ROLES.map((r) => ({ value: r, label: r[0]!.toUpperCase() + r.slice(1) }));

export function Members() {
  const list = useMembers();
  const { can, me } = useSession();
  const qc = useQueryClient();
  const owner = can('manageMembers');
  const put = useMutation({
    mutationFn: (m: Member) => api.put<Member>(`/members/${seg(m.email)}`, { email: m.email, role: m.role }),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.members }),
  });
  const items = list.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Members"
        description={owner ? 'People who may use this console, and their roles.' : 'People who may use this console. Only owners change members and roles.'}
      />
      <ErrorAlert error={list.error ?? put.error} />
      <Stack>
        <Card>
          {list.isPending ? (
            <Skeleton h={60} />
          ) : items.length === 0 ? (
            <Empty>No members yet.</Empty>
          ) : (
            <Table verticalSpacing="sm" aria-label="Members">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Email</Table.Th>
                  <Table.Th w={200}>Role</Table.Th>
                  {owner && (
                    <Table.Th w={120}>
                      <span className="sr-only">Actions</span>
                    </Table.Th>
                  )}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((m) => (
                  <Table.Tr key={m.email}>
                    <Table.Td>
                      <Text size="sm">
                        {m.email}
                        {me?.email.toLowerCase() === m.email.toLowerCase() ? ' (you)' : ''}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      {owner ? (
                        <Select
                          aria-label={`Role of ${m.email}`}
                          size="xs"
                          data={roleOptions}
                          value={m.role}
                          allowDeselect={false}
                          onChange={(v) => v && v !== m.role && put.mutate({ email: m.email, role: v as Role })}
                        />
                      ) : (
                        <Badge variant="light" radius="sm">
                          {m.role}
                        </Badge>
                      )}
                    </Table.Td>
                    {owner && (
                      <Table.Td>
                        <Confirm
                          label="Remove"
                          variant="subtle"
                          color="red"
                          title={`Remove ${m.email}?`}
                          message="They lose access to this tenant's console."
                          confirmLabel="Remove"
                          onConfirm={async () => {
                            await api.del(`/members/${seg(m.email)}`);
                            await qc.invalidateQueries({ queryKey: keys.members });
                          }}
                        />
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
        <Can do="manageMembers">
          <Card title="Add a member">
            <AddMember />
          </Card>
        </Can>
      </Stack>
    </>
  );
}

function AddMember() {
  const qc = useQueryClient();
  const [m, setM] = useState<Member>({ email: '', role: 'developer' });
  const [touched, setTouched] = useState(false);
  const dry = useDryRun('member', m, touched && m.email !== '');
  const add = useMutation({
    mutationFn: (x: Member) => api.put<Member>(`/members/${seg(x.email)}`, x),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.members });
      setM({ email: '', role: 'developer' });
      setTouched(false);
    },
  });
  const fe = add.error instanceof ApiError && add.error.fieldErrors.length ? new FieldErrors(add.error.fieldErrors) : dry.errors;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate(m);
  };
  return (
    <form onSubmit={submit} noValidate aria-label="Add a member">
      <Group align="flex-start">
        <TextInput label="Email" type="email" w={320} value={m.email} onChange={(e) => { const v = e.currentTarget.value; setTouched(true); add.reset(); setM((x) => ({ ...x, email: v })); }} error={fe.at('/email')} required />
        <Select label="Role" w={160} data={roleOptions} value={m.role} onChange={(v) => v && setM((x) => ({ ...x, role: v as Role }))} error={fe.at('/role')} allowDeselect={false} />
        <Button type="submit" mt={25} loading={add.isPending} disabled={!m.email}>
          Add member
        </Button>
      </Group>
      {add.error && !(add.error instanceof ApiError && add.error.fieldErrors.length) ? <ErrorAlert error={add.error} /> : null}
    </form>
  );
}
