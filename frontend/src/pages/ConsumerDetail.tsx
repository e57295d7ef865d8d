import { Anchor, Badge, Button, Code, Group, Modal, Select, Stack, Table, Tabs, TagsInput, Text, TextInput } from '@mantine/core';
import { IconKey, IconLock } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, api, seg } from '../api/client';
import { keys, useClients, useConsumer, useKeys } from '../api/hooks';
import type { IssuedClient, IssuedKey } from '../api/types';
import { ErrorAlert, PageHeader, fmtTime } from '../components/common';
import { RevocableList } from '../components/ResourceList';
import { SecretOnce, type Secret } from '../components/SecretOnce';
import { FieldErrors } from '../lib/problem';

export function ConsumerDetail() {
  const { consumer = '' } = useParams();
  const c = useConsumer(consumer);
  const [secret, setSecret] = useState<Secret | null>(null);
  return (
    <>
      <Anchor component={Link} to="/consumers" size="sm">
        ← Consumers
      </Anchor>
      <PageHeader title={c.data?.name ?? consumer} description={c.data?.description || `Credentials of consumer ${consumer}.`} />
      <ErrorAlert error={c.error} />
      <Tabs defaultValue="keys" keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="keys" leftSection={<IconKey size={16} />}>
            API keys
          </Tabs.Tab>
          <Tabs.Tab value="clients" leftSection={<IconLock size={16} />}>
            OAuth2 clients
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="keys">
          <KeysPanel consumer={consumer} onIssued={setSecret} />
        </Tabs.Panel>
        <Tabs.Panel value="clients">
          <ClientsPanel consumer={consumer} onIssued={setSecret} />
        </Tabs.Panel>
      </Tabs>
      <SecretOnce secret={secret} onClose={() => setSecret(null)} />
    </>
  );
}

function StatusBadge({ status, expiresAt }: { status: string; expiresAt?: string }) {
  const expired = status === 'active' && !!expiresAt && new Date(expiresAt).getTime() <= Date.now();
  const s = expired ? 'expired' : status;
  const color = s === 'active' ? 'green' : s === 'expired' ? 'orange' : 'red';
  return (
    <Badge color={color} variant="light" radius="sm">
      {s}
    </Badge>
  );
}

function Scopes({ scopes }: { scopes?: string[] }) {
  if (!scopes?.length)
    return (
      <Text size="xs" c="dimmed">
        all
      </Text>
    );
  return (
    <Group gap={4}>
      {scopes.map((s) => (
        <Badge key={s} variant="outline" color="gray" radius="sm" tt="none">
          {s}
        </Badge>
      ))}
    </Group>
  );
}

export function KeysPanel({ consumer, onIssued }: { consumer: string; onIssued: (s: Secret) => void }) {
  const list = useKeys(consumer);
  const qc = useQueryClient();
  const [issuing, setIssuing] = useState(false);
  return (
    <RevocableList
      title="API keys"
      create={{ label: 'Issue API key', role: 'issueCredential', onClick: () => setIssuing(true) }}
      list={list}
      empty="No API keys yet."
      columns={[{ label: 'Name' }, { label: 'Prefix' }, { label: 'Scopes' }, { label: 'Plan' }, { label: 'Expires' }, { label: 'Status' }]}
      rowKey={(k) => k.id}
      row={(k) => (
        <>
          <Table.Td>
            <Text size="sm" fw={600}>
              {k.name || '—'}
            </Text>
            <Text size="xs" c="dimmed">
              issued {fmtTime(k.createdAt)}
            </Text>
          </Table.Td>
          <Table.Td>
            <Code>{k.prefix}…</Code>
          </Table.Td>
          <Table.Td>
            <Scopes scopes={k.scopes} />
          </Table.Td>
          <Table.Td>
            <Text size="sm">{k.plan || '—'}</Text>
          </Table.Td>
          <Table.Td>
            <Text size="sm">{k.expiresAt ? fmtTime(k.expiresAt) : 'never'}</Text>
          </Table.Td>
          <Table.Td>
            <StatusBadge status={k.status} expiresAt={k.expiresAt} />
          </Table.Td>
        </>
      )}
      revoke={{
        active: (k) => k.status === 'active',
        title: (k) => `Revoke key ${k.prefix}…?`,
        message: 'Requests with this key are refused from now on. A revoked key cannot be restored.',
        confirmLabel: 'Revoke key',
        onConfirm: async (k) => {
          await api.post(`/consumers/${seg(consumer)}/keys/${seg(k.id)}/revoke`);
          await qc.invalidateQueries({ queryKey: keys.keys(consumer) });
        },
      }}
    >
      <Modal opened={issuing} onClose={() => setIssuing(false)} title="Issue API key">
        {issuing && (
          <KeyForm
            consumer={consumer}
            onCancel={() => setIssuing(false)}
            onIssued={(k) => {
              setIssuing(false);
              void qc.invalidateQueries({ queryKey: keys.keys(consumer) });
              onIssued({
                what: 'API key',
                value: k.secret,
                details: (
                  <Text size="sm">
                    Send it in the <Code>X-API-Key</Code> header (or <Code>Authorization: ApiKey …</Code>). Listed as <Code>{k.prefix}…</Code>.
                  </Text>
                ),
              });
            }}
          />
        )}
      </Modal>
    </RevocableList>
  );
}

const EXPIRY = [
  { value: 'never', label: 'Never' },
  { value: '30', label: 'In 30 days' },
  { value: '90', label: 'In 90 days' },
  { value: '365', label: 'In 1 year' },
  { value: 'date', label: 'On a date…' },
];

/** expiryOf turns the expiry choice into the RFC 3339 time the server expects. */
export function expiryOf(choice: string, date: string, now = new Date()): string | undefined {
  if (choice === 'never') return undefined;
  if (choice === 'date') return date ? new Date(date + 'T23:59:59Z').toISOString() : '';
  return new Date(now.getTime() + Number(choice) * 86_400_000).toISOString();
}

export function KeyForm({ consumer, onIssued, onCancel }: { consumer: string; onIssued: (k: IssuedKey) => void; onCancel: () => void }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [plan, setPlan] = useState('');
  const [expiry, setExpiry] = useState('never');
  const [date, setDate] = useState('');
  const issue = useMutation({
    mutationFn: (body: unknown) => api.post<IssuedKey>(`/consumers/${seg(consumer)}/keys`, body),
    onSuccess: onIssued,
  });
  const fe = new FieldErrors(issue.error instanceof ApiError ? issue.error.fieldErrors : []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const expiresAt = expiryOf(expiry, date);
    issue.mutate({
      name: name || undefined,
      scopes: scopes.length ? scopes : undefined,
      plan: plan || undefined,
      expiresAt: expiresAt === '' ? null : expiresAt,
    });
  };
  return (
    <form onSubmit={submit} noValidate aria-label="Issue API key">
      <Stack>
        <TextInput label="Name" description="To recognise the key later, e.g. where it is used." value={name} onChange={(e) => setName(e.currentTarget.value)} error={fe.at('/name')} data-autofocus />
        <TagsInput label="Scopes" description="Empty grants every scope. Press Enter after each." value={scopes} onChange={setScopes} error={fe.under('/scopes')} />
        <TextInput label="Plan" description="The rate-limit plan of the key's requests (optional)." value={plan} onChange={(e) => setPlan(e.currentTarget.value)} error={fe.at('/plan')} />
        <Group grow align="flex-start">
          <Select label="Expires" data={EXPIRY} value={expiry} onChange={(v) => v && setExpiry(v)} allowDeselect={false} error={expiry !== 'date' ? fe.at('/expiresAt') : undefined} />
          {expiry === 'date' && <TextInput type="date" label="Expiry date" value={date} onChange={(e) => setDate(e.currentTarget.value)} error={fe.at('/expiresAt')} required />}
        </Group>
        <ErrorAlert error={issue.error && fe.size === 0 ? issue.error : undefined} fieldErrors={fe.unclaimed(['/name', '/scopes', '/plan', '/expiresAt'])} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={issue.isPending}>
            Issue key
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function ClientsPanel({ consumer, onIssued }: { consumer: string; onIssued: (s: Secret) => void }) {
  const list = useClients(consumer);
  const qc = useQueryClient();
  const [creating, setCreating] = useState(false);
  return (
    <RevocableList
      title="OAuth2 clients"
      create={{ label: 'New OAuth2 client', role: 'issueCredential', onClick: () => setCreating(true) }}
      intro={
        <Text size="sm" c="dimmed" mb="sm">
          Client-credentials clients exchange their id and secret for a token at the tenant's token endpoint.
        </Text>
      }
      list={list}
      empty="No OAuth2 clients yet."
      columns={[{ label: 'Name' }, { label: 'Client id' }, { label: 'Scopes' }, { label: 'Status' }]}
      rowKey={(c) => c.id}
      row={(c) => (
        <>
          <Table.Td>
            <Text size="sm" fw={600}>
              {c.name || '—'}
            </Text>
            <Text size="xs" c="dimmed">
              created {fmtTime(c.createdAt)}
            </Text>
          </Table.Td>
          <Table.Td>
            <Code>{c.id}</Code>
          </Table.Td>
          <Table.Td>
            <Scopes scopes={c.scopes} />
          </Table.Td>
          <Table.Td>
            <StatusBadge status={c.status} />
          </Table.Td>
        </>
      )}
      revoke={{
        active: (c) => c.status === 'active',
        title: (c) => `Revoke client ${c.name || c.id}?`,
        message: 'The client can no longer obtain tokens. A revoked client cannot be restored.',
        confirmLabel: 'Revoke client',
        onConfirm: async (c) => {
          await api.post(`/consumers/${seg(consumer)}/clients/${seg(c.id)}/revoke`);
          await qc.invalidateQueries({ queryKey: keys.clients(consumer) });
        },
      }}
    >
      <Modal opened={creating} onClose={() => setCreating(false)} title="New OAuth2 client">
        {creating && (
          <ClientForm
            consumer={consumer}
            onCancel={() => setCreating(false)}
            onIssued={(c) => {
              setCreating(false);
              void qc.invalidateQueries({ queryKey: keys.clients(consumer) });
              onIssued({
                what: 'Client secret',
                value: c.clientSecret,
                details: (
                  <Text size="sm">
                    Client id <Code>{c.id}</Code>
                  </Text>
                ),
              });
            }}
          />
        )}
      </Modal>
    </RevocableList>
  );
}

function ClientForm({ consumer, onIssued, onCancel }: { consumer: string; onIssued: (c: IssuedClient) => void; onCancel: () => void }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const create = useMutation({
    mutationFn: (body: unknown) => api.post<IssuedClient>(`/consumers/${seg(consumer)}/clients`, body),
    onSuccess: onIssued,
  });
  const fe = new FieldErrors(create.error instanceof ApiError ? create.error.fieldErrors : []);
  return (
    <form
      noValidate
      aria-label="New OAuth2 client"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate({ name: name || undefined, scopes: scopes.length ? scopes : undefined });
      }}
    >
      <Stack>
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={fe.at('/name')} data-autofocus />
        <TagsInput label="Scopes" description="The scopes the client may request. Press Enter after each." value={scopes} onChange={setScopes} error={fe.under('/scopes')} />
        <ErrorAlert error={create.error && fe.size === 0 ? create.error : undefined} fieldErrors={fe.unclaimed(['/name', '/scopes'])} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending}>
            Create client
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
